"""Which sites a content or audience figure covers: one site, the sites of one level, or every site."""

from __future__ import annotations

import asyncpg

from core.errors import Invalid, NotFound
from core.sites.config import LEVELS
from core.sites.ids import check_site_id


def check_level(level: str | None) -> str | None:
    if level is not None and level not in LEVELS:
        raise Invalid(f"level must be one of {'/'.join(LEVELS)}, not {level!r}")
    return level


async def check_site(pool: asyncpg.Pool, site: str | None) -> str | None:
    """The site when it is stored (NotFound otherwise); None for every site."""
    if site is None:
        return None
    check_site_id(site)
    if not await pool.fetchval("select true from site_list where id = $1", site):
        raise NotFound(f"no site with id {site!r}")
    return site

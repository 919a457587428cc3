"""Which sites a content or audience figure covers: one site, the sites of one level, or every site."""

from __future__ import annotations

import asyncpg

from core.errors import Invalid
from core.sites import known_site
from core.sites.config import LEVELS


def check_level(level: str | None) -> str | None:
    if level is not None and level not in LEVELS:
        raise Invalid(f"level must be one of {'/'.join(LEVELS)}, not {level!r}")
    return level


async def check_site(pool: asyncpg.Pool, site: str | None) -> str | None:
    """The site when it is stored (NotFound otherwise); None for every site."""
    return None if site is None else await known_site(pool, site)

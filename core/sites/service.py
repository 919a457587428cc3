"""Site store: load configured sites into Postgres and read them back with their counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.errors import NotFound
from core.sites.config import SiteConfig
from core.sites.ids import check_site_id


@dataclass(frozen=True, kw_only=True)
class Site:
    """A site as stored, with what the platform knows of it."""

    id: str
    name: str
    level: str
    region: str | None
    department: str | None
    parent_id: str | None
    config: dict[str, Any]
    schedule_s: int
    enabled: bool
    document_count: int
    last_crawled_at: datetime | None


SITE_SELECT = """
    select s.id, s.name, s.level, s.region, s.department, s.parent_id, s.config, s.schedule_s, s.enabled,
           (select count(*) from live_documents d where d.site_id = s.id) as document_count,
           (select max(c.finished_at) from done_crawls c where c.site_id = s.id) as last_crawled_at
    from sites s
"""


def _row(r: asyncpg.Record) -> Site:
    config = r["config"]
    return Site(
        id=r["id"],
        name=r["name"],
        level=r["level"],
        region=r["region"],
        department=r["department"],
        parent_id=r["parent_id"],
        config=json.loads(config) if isinstance(config, str) else dict(config),
        schedule_s=r["schedule_s"],
        enabled=r["enabled"],
        document_count=int(r["document_count"]),
        last_crawled_at=r["last_crawled_at"],
    )


UPSERT = """
    insert into sites (id, name, level, region, department, parent_id, config, schedule_s, enabled)
    values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
    on conflict (id) do update set name = excluded.name, level = excluded.level,
        region = excluded.region, department = excluded.department,
        parent_id = excluded.parent_id, config = excluded.config,
        schedule_s = excluded.schedule_s, enabled = excluded.enabled, updated_at = now()
"""


def _upsert_args(s: SiteConfig) -> tuple[Any, ...]:
    config = json.dumps(s.crawl_config())
    return (s.id, s.name, s.level, s.region, s.department, s.parent, config, s.schedule_s, s.enabled)


async def sync_sites(pool: asyncpg.Pool, sites: Sequence[SiteConfig], *, disable_missing: bool = False) -> int:
    """Upsert every configured site (parents first); optionally disable sites no longer configured."""
    ordered = sorted(sites, key=lambda s: s.parent is not None)
    async with pool.acquire() as conn, conn.transaction():
        for s in ordered:
            await conn.execute(UPSERT, *_upsert_args(s))
        if disable_missing:
            await conn.execute(
                "update sites set enabled = false, updated_at = now() where not (id = any($1::text[]))",
                [s.id for s in sites],
            )
    return len(ordered)


async def list_sites(
    pool: asyncpg.Pool,
    *,
    level: str | None = None,
    enabled: bool | None = None,
    limit: int | None = 500,
    offset: int = 0,
) -> list[Site]:
    """Sites in id order, `limit` of them from `offset` (None: every one), of one level and crawl state if given."""
    rows = await pool.fetch(
        SITE_SELECT + " where ($1::text is null or s.level = $1) and ($2::boolean is null or s.enabled = $2)"
        " order by s.id limit $3 offset $4",
        level,
        enabled,
        limit,
        offset,
    )
    return [_row(r) for r in rows]


async def count_sites(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("select count(*) from sites"))


async def known_site(pool: asyncpg.Pool, site_id: str) -> str:
    """The id of a stored site: Invalid when it cannot be a site id, NotFound when no site has it (cheaper than
    get_site, which counts the site's documents)."""
    check_site_id(site_id)
    if not await pool.fetchval("select true from sites where id = $1", site_id):
        raise NotFound(f"no site with id {site_id!r}")
    return site_id


async def is_crawled(pool: asyncpg.Pool, site_id: str) -> bool:
    """Whether the site is one the group crawls (enabled); disclosure units and the open-data site are not."""
    return bool(await pool.fetchval("select enabled from sites where id = $1", site_id))


async def get_site(pool: asyncpg.Pool, site_id: str) -> Site:
    row = await pool.fetchrow(SITE_SELECT + " where s.id = $1", site_id)
    if row is None:
        raise NotFound(f"no site with id {site_id!r}")
    return _row(row)


async def get_sites(pool: asyncpg.Pool, site_ids: Sequence[str]) -> dict[str, Site]:
    """Batch lookup for DataLoaders."""
    rows = await pool.fetch(SITE_SELECT + " where s.id = any($1::text[])", list(site_ids))
    return {r["id"]: _row(r) for r in rows}


async def site_configs(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """The crawl configuration of every enabled site (the hosts the operator named: the fetch guard trusts them)."""
    rows = await pool.fetch("select config from sites where enabled")
    return [json.loads(r["config"]) if isinstance(r["config"], str) else dict(r["config"]) for r in rows]


async def site_ids(pool: asyncpg.Pool) -> set[str]:
    """The id of every stored site."""
    return {r["id"] for r in await pool.fetch("select id from sites")}


async def add_site_if_missing(pool: asyncpg.Pool, *, site_id: str, name: str, level: str) -> None:
    """Store a disabled site with no crawl configuration unless one with this id exists."""
    await add_sites_if_missing(pool, [(site_id, name, level)])


async def add_sites_if_missing(pool: asyncpg.Pool, sites: Sequence[tuple[str, str, str]]) -> None:
    """`add_site_if_missing` for many (id, name, level) at once: one statement, one commit."""
    if sites:
        ids, names, levels = (list(c) for c in zip(*sites, strict=True))
        await pool.execute(
            """insert into sites (id, name, level, enabled, config)
               select id, name, level, false, '{}'::jsonb
               from unnest($1::text[], $2::text[], $3::text[]) as s(id, name, level)
               on conflict (id) do nothing""",
            ids,
            names,
            levels,
        )

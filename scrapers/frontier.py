"""The crawl frontier in Postgres: which URLs a crawl must fetch, and what was learnt from each fetch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# How long until a URL is checked again, by what it turned out to be: lists often, articles rarely.
RECHECK_S = {"homepage": None, "column": None, "other": 7 * 86400, "failed": 86400, "gone": 30 * 86400}
ARTICLE_RECHECK_S = 30 * 86400


@dataclass(frozen=True)
class FrontierUrl:
    """A URL to fetch in this crawl, with the validators for a conditional GET."""

    url: str
    depth: int
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    not_found: int
    kind: str | None


def recheck_after_s(kind: str, schedule_s: int) -> int:
    value = RECHECK_S.get(kind, ARTICLE_RECHECK_S)
    return schedule_s if value is None else value


async def seed(pool: asyncpg.Pool, site_id: str, crawl_id: int, urls: Sequence[str], now: datetime) -> int:
    """Add the start URLs, then hand every due URL of the site (and any left pending) to this crawl."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            """insert into crawl_urls (site_id, url, depth, next_check_at) values ($1, $2, 0, $3)
               on conflict (site_id, url) do update set depth = 0""",
            [(site_id, u, now) for u in urls],
        )
        status = await conn.execute(
            """update crawl_urls set state = 'pending', crawl_id = $2
               where site_id = $1 and (state = 'pending' or next_check_at <= $3)""",
            site_id, crawl_id, now,
        )  # fmt: skip
    return int(status.split()[-1])


async def claim(pool: asyncpg.Pool, crawl_id: int, limit: int) -> list[FrontierUrl]:
    """The next pending URLs of this crawl, shallowest first."""
    rows = await pool.fetch(
        """select url, depth, etag, last_modified, content_hash, not_found, kind from crawl_urls
           where crawl_id = $1 and state = 'pending' order by depth, discovered_at, url limit $2""",
        crawl_id, limit,
    )  # fmt: skip
    return [FrontierUrl(**dict(r)) for r in rows]


async def discover(pool: asyncpg.Pool, site_id: str, crawl_id: int, urls: Sequence[tuple[str, int]]) -> int:
    """Queue newly found URLs in this crawl; URLs already known keep their own schedule."""
    if not urls:
        return 0
    status = await pool.execute(
        """insert into crawl_urls (site_id, url, depth, crawl_id)
           select $1, u.url, u.depth, $2 from unnest($3::text[], $4::int[]) as u(url, depth)
           on conflict (site_id, url) do nothing""",
        site_id, crawl_id, [u for u, _ in urls], [d for _, d in urls],
    )  # fmt: skip
    return int(status.split()[-1])


async def record(
    pool: asyncpg.Pool,
    site_id: str,
    url: str,
    *,
    state: str,
    status: int | None,
    kind: str | None,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    not_found: int,
    reason: str | None,
    recheck_s: int,
) -> None:
    await pool.execute(
        """update crawl_urls set state = $3, status = $4, kind = coalesce($5, kind),
                  etag = coalesce($6, etag), last_modified = coalesce($7, last_modified),
                  content_hash = coalesce($8, content_hash), not_found = $9, reason = $10,
                  fail_count = case when $3 = 'failed' then fail_count + 1 else 0 end,
                  fetched_at = now(), next_check_at = now() + make_interval(secs => $11)
           where site_id = $1 and url = $2""",
        site_id, url, state, status, kind, etag, last_modified, content_hash, not_found, reason, recheck_s,
    )  # fmt: skip


async def pending_count(pool: asyncpg.Pool, crawl_id: int) -> int:
    value = await pool.fetchval("select count(*) from crawl_urls where crawl_id = $1 and state = 'pending'", crawl_id)
    return int(value)


async def log_fetch(pool: asyncpg.Pool, rows: Sequence[tuple[object, ...]]) -> None:
    """Append to the fetch log: (crawl_id, site_id, url, status, reason, elapsed_ms, bytes)."""
    if rows:
        await pool.executemany(
            """insert into fetch_log (crawl_id, site_id, url, status, reason, elapsed_ms, bytes)
               values ($1, $2, $3, $4, $5, $6, $7)""",
            rows,
        )

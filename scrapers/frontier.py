"""The crawl frontier in Postgres: which URLs a crawl must fetch, and what was learnt from each fetch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.locks import Lock

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
        await Lock.FRONTIER.hold(conn, site_id)
        await conn.executemany(
            """insert into crawl_urls (site_id, url, depth, next_check_at) values ($1, $2, 0, $3)
               on conflict (site_id, url) do update set depth = 0""",
            [(site_id, u, now) for u in urls],
        )
        status = await conn.execute(
            """update crawl_urls set state = 'pending', crawl_id = $2
               where site_id = $1 and (state = 'pending' or next_check_at <= $3)""",
            site_id,
            crawl_id,
            now,
        )
    return int(status.split()[-1])


async def claim(pool: asyncpg.Pool, crawl_id: int, limit: int, exclude: Sequence[str] = ()) -> list[FrontierUrl]:
    """The next pending URLs of this crawl, shallowest first, leaving out the ones already in flight."""
    rows = await pool.fetch(
        """select url, depth, etag, last_modified, content_hash, not_found, kind from crawl_urls
           where crawl_id = $1 and state = 'pending' and not (url = any($3::text[]))
           order by depth, discovered_at, url limit $2""",
        crawl_id,
        limit,
        list(exclude),
    )
    return [FrontierUrl(**dict(r)) for r in rows]


DISCOVER = """insert into crawl_urls (site_id, url, depth, crawl_id)
              select $1, u.url, u.depth, $2 from unnest($3::text[], $4::int[]) as u(url, depth)
              on conflict (site_id, url) do nothing"""


async def discover(pool: asyncpg.Pool, site_id: str, crawl_id: int, urls: Sequence[tuple[str, int]]) -> int:
    """Queue newly found URLs in this crawl; URLs already known keep their own schedule."""
    if not urls:
        return 0
    async with pool.acquire() as conn, conn.transaction():
        await Lock.FRONTIER.hold(conn, site_id)
        status = await conn.execute(DISCOVER, site_id, crawl_id, [u for u, _ in urls], [d for _, d in urls])
    return int(status.split()[-1])


async def enqueue(
    pool: asyncpg.Pool,
    site_id: str,
    crawl_id: int,
    urls: Sequence[tuple[str, datetime | None]],
    *,
    depth: int = 1,
    force: bool = False,
) -> int:
    """URLs a sitemap or feed names: new ones join this crawl; known ones do when the site says they changed
    since our last fetch (sitemap lastmod), or always with `force` (a feed item is news)."""
    if not urls:
        return 0
    async with pool.acquire() as conn, conn.transaction():
        await Lock.FRONTIER.hold(conn, site_id)
        status = await conn.execute(DISCOVER, site_id, crawl_id, [u for u, _ in urls], [depth] * len(urls))
        added = int(status.split()[-1])
        status = await conn.execute(
            """update crawl_urls c set state = 'pending', crawl_id = $2, next_check_at = now()
               from unnest($3::text[], $4::timestamptz[]) as u(url, changed_at)
               where c.site_id = $1 and c.url = u.url and c.state <> 'pending'
                 and ($5 or (u.changed_at is not null and (c.fetched_at is null or u.changed_at > c.fetched_at)))""",
            site_id,
            crawl_id,
            [u for u, _ in urls],
            [t for _, t in urls],
            force,
        )
    return added + int(status.split()[-1])


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What one fetch taught us about a URL, and when to look again."""

    url: str
    state: str
    status: int | None
    recheck_s: int
    kind: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    not_found: int = 0
    reason: str | None = None


async def record(pool: asyncpg.Pool, site_id: str, outcomes: Sequence[Outcome]) -> None:
    """Write fetch outcomes back to the frontier (one pipelined statement for the lot)."""
    if not outcomes:
        return
    async with pool.acquire() as conn, conn.transaction():
        await Lock.FRONTIER.hold(conn, site_id)
        await conn.executemany(
            """update crawl_urls set state = $3, status = $4, kind = coalesce($5, kind),
                  etag = coalesce($6, etag), last_modified = coalesce($7, last_modified),
                  content_hash = coalesce($8, content_hash), not_found = $9, reason = $10,
                  fail_count = case when $3 = 'failed' then fail_count + 1 else 0 end,
                  fetched_at = now(), next_check_at = now() + make_interval(secs => $11)
           where site_id = $1 and url = $2""",
            [
                (
                    site_id,
                    o.url,
                    o.state,
                    o.status,
                    o.kind,
                    o.etag,
                    o.last_modified,
                    o.content_hash,
                    o.not_found,
                    o.reason,
                    o.recheck_s,
                )
                for o in outcomes
            ],
        )


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


async def feed_validators(pool: asyncpg.Pool, site_id: str) -> dict[str, tuple[str | None, str | None]]:
    """The ETag and Last-Modified each of the site's feeds answered last time, by feed URL."""
    rows = await pool.fetch("select url, etag, last_modified from feed_validators where site_id = $1", site_id)
    return {r["url"]: (r["etag"], r["last_modified"]) for r in rows}


async def save_feed_validators(
    pool: asyncpg.Pool, site_id: str, url: str, etag: str | None, modified: str | None
) -> None:
    """Remember what a feed answered; a feed that sent neither validator is forgotten (asked in full)."""
    if etag is None and modified is None:
        await pool.execute("delete from feed_validators where site_id = $1 and url = $2", site_id, url)
        return
    await pool.execute(
        """insert into feed_validators (site_id, url, etag, last_modified) values ($1, $2, $3, $4)
           on conflict (site_id, url) do update
           set etag = excluded.etag, last_modified = excluded.last_modified, checked_at = now()""",
        site_id,
        url,
        etag,
        modified,
    )

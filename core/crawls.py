"""Crawl bookkeeping: queue, start, count and finish crawls of a site; the scheduler's queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.errors import NotFound


@dataclass(frozen=True)
class Crawl:
    """One crawl of one site, with its progress counters."""

    id: int
    site_id: str
    trigger: str
    state: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pages_fetched: int
    pages_changed: int
    errors: int
    queued: int
    message: str | None


CRAWL_SELECT = """select id, site_id, trigger, state, queued_at, started_at, finished_at, pages_fetched,
                         pages_changed, errors, queued, message from crawls"""


def _row(r: asyncpg.Record) -> Crawl:
    return Crawl(**dict(r))


async def queue_crawl(pool: asyncpg.Pool, site_id: str, trigger: str) -> int | None:
    """Record a queued crawl unless one is already queued or running; returns its id, or None."""
    async with pool.acquire() as conn, conn.transaction():
        exists = await conn.fetchval("select 1 from sites where id = $1", site_id)
        if not exists:
            raise NotFound(f"no site with id {site_id!r}")
        await conn.execute("select pg_advisory_xact_lock(hashtext('crawl:' || $1))", site_id)
        busy = await conn.fetchval(
            "select 1 from crawls where site_id = $1 and state in ('queued', 'running')", site_id
        )
        if busy:
            return None
        return await conn.fetchval(
            "insert into crawls (site_id, trigger) values ($1, $2) returning id", site_id, trigger
        )


async def due_sites(pool: asyncpg.Pool, now: datetime) -> list[str]:
    """Enabled sites whose last crawl started longer ago than their schedule (or never), none in flight."""
    rows = await pool.fetch(
        """select s.id from sites s
           where s.enabled
             and not exists (select 1 from crawls c where c.site_id = s.id and c.state in ('queued', 'running'))
             and coalesce((select max(c.queued_at) from crawls c where c.site_id = s.id), '-infinity')
                 < $1::timestamptz - make_interval(secs => s.schedule_s)
           order by s.id""",
        now,
    )
    return [r["id"] for r in rows]


async def requeue_stale(pool: asyncpg.Pool, older_than_s: int) -> int:
    """Crawls stuck queued or running (their worker died) are failed so the schedule can go on."""
    status = await pool.execute(
        """update crawls set state = 'failed', finished_at = now(), message = 'abandoned: no progress'
           where state in ('queued', 'running')
             and coalesce(heartbeat_at, started_at, queued_at) < now() - make_interval(secs => $1)""",
        older_than_s,
    )
    return int(status.split()[-1])


async def start_crawl(pool: asyncpg.Pool, crawl_id: int) -> bool:
    status = await pool.execute(
        "update crawls set state = 'running', started_at = now(), heartbeat_at = now() "
        "where id = $1 and state in ('queued', 'running')",
        crawl_id,
    )
    return status.endswith(" 1")


async def progress(pool: asyncpg.Pool, crawl_id: int, *, fetched: int, changed: int, errors: int, queued: int) -> None:
    await pool.execute(
        """update crawls set pages_fetched = $2, pages_changed = $3, errors = $4, queued = $5, heartbeat_at = now()
           where id = $1""",
        crawl_id, fetched, changed, errors, queued,
    )  # fmt: skip


async def finish_crawl(pool: asyncpg.Pool, crawl_id: int, *, ok: bool, message: str | None = None) -> None:
    await pool.execute(
        "update crawls set state = $2, finished_at = now(), message = $3 where id = $1",
        crawl_id, "done" if ok else "failed", message,
    )  # fmt: skip


async def get_crawl(pool: asyncpg.Pool, crawl_id: int) -> Crawl:
    row = await pool.fetchrow(CRAWL_SELECT + " where id = $1", crawl_id)
    if row is None:
        raise NotFound(f"no crawl {crawl_id}")
    return _row(row)


async def latest_crawl(pool: asyncpg.Pool, site_id: str) -> Crawl | None:
    row = await pool.fetchrow(CRAWL_SELECT + " where site_id = $1 order by queued_at desc limit 1", site_id)
    return _row(row) if row else None


async def mark_site_due(pool: asyncpg.Pool, site_id: str) -> int:
    """Make every known URL of the site due now (a full recheck: conditional GETs keep it cheap)."""
    status = await pool.execute(
        "update crawl_urls set next_check_at = now() where site_id = $1 and state <> 'gone'", site_id
    )
    return int(status.split()[-1])

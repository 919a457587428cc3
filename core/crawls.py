"""Crawls of a site: request one (queued, its job sent after commit), run one, count and finish it."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg
import dramatiq

from core.errors import Invalid, NotFound, Upstream
from core.jobs import CRAWL_SITE, send
from core.locks import Lock
from core.sites.service import Site, get_site

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted; the frontier is kept and the next crawl of the site resumes it"
# Public classes of failure, first match wins (aiohttp's connection errors are OSErrors, its timeouts TimeoutErrors).
FAILURE_CLASSES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (TimeoutError, "timeout"),
    ((ConnectionRefusedError, ConnectionResetError), "site unreachable: connection refused or reset"),
    (NotFound, "site not found"),
    (Upstream, "a platform service was unavailable; the crawl resumes next time"),
    (OSError, "network error"),
)


@dataclass(frozen=True, kw_only=True)
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

    def pages_per_second(self, now: datetime | None = None) -> float | None:
        """Pages fetched per second since the start (to the finish, or to `now` while running)."""
        if not (self.started_at and self.pages_fetched):
            return None
        end = self.finished_at or now or datetime.now(self.started_at.tzinfo)
        seconds = max((end - self.started_at).total_seconds(), 0.001)
        return round(self.pages_fetched / seconds, 2)


@dataclass(frozen=True, kw_only=True)
class CrawlRequest:
    """What asking for a crawl did: the site's crawl now queued or in flight, and whether this request queued it."""

    crawl: Crawl
    queued: bool


class CrawlSummary(Protocol):
    """What a crawl returns: its counters in one line, kept as the crawl's message."""

    def summary(self) -> str: ...


CrawlFn = Callable[[Site, int], Awaitable[CrawlSummary]]

# A full recheck makes every known URL of the site due now: conditional GETs keep it cheap.
MARK_DUE = "update crawl_urls set next_check_at = now() where site_id = $1 and state <> 'gone'"
CRAWL_SELECT = """select id, site_id, trigger, state, queued_at, started_at, finished_at, pages_fetched,
                         pages_changed, errors, queued, message from crawls"""


def _row(r: asyncpg.Record) -> Crawl:
    return Crawl(**dict(r))


async def queue_crawl(pool: asyncpg.Pool, site_id: str, trigger: str, *, full: bool = False) -> int | None:
    """Record a queued crawl unless one is already queued or running; returns its id, or None. A site without
    start URLs (a grassroots unit's, the open-data catalogue's) is Invalid: a crawl of it could only fail.

    `full` first makes every known URL of the site due (also while a crawl is already in flight).
    """
    async with pool.acquire() as conn, conn.transaction():
        starts = await conn.fetchval(
            "select jsonb_array_length(coalesce(config->'start_urls', '[]'::jsonb)) from site_list where id = $1",
            site_id,
        )
        if starts is None:
            raise NotFound(f"no site with id {site_id!r}")
        if not starts:  # a grassroots unit or a catalogue: its documents are imported, there is nothing to fetch
            raise Invalid(f"site {site_id!r} has no start URLs: it is not crawled")
        if full:
            await Lock.FRONTIER.hold(conn, site_id)
            await conn.execute(MARK_DUE, site_id)
        await Lock.CRAWL.hold(conn, site_id)
        busy = await conn.fetchval(
            "select 1 from crawls where site_id = $1 and state in ('queued', 'running')", site_id
        )
        if busy:
            return None
        crawl_id: int = await conn.fetchval(
            "insert into crawls (site_id, trigger) values ($1, $2) returning id", site_id, trigger
        )
        return crawl_id


async def request_crawl(
    *, pool: asyncpg.Pool, broker: dramatiq.Broker, site_id: str, trigger: str, full: bool = False
) -> CrawlRequest:
    """Queue a crawl of the site (a no-op while one is in flight) and send its job once the row is committed."""
    crawl_id = await queue_crawl(pool, site_id, trigger, full=full)
    if crawl_id is not None:
        # Sent after the crawl row committed: a worker never sees a job for a crawl that does not exist.
        await asyncio.to_thread(send, broker, CRAWL_SITE, site_id, crawl_id)
        log.info("crawl queued", extra={"site": site_id, "crawl_id": crawl_id, "trigger": trigger})
    latest = await latest_crawl(pool, site_id)
    if latest is None:  # only when the row was deleted in between
        raise NotFound(f"no crawl of {site_id!r}")
    return CrawlRequest(crawl=latest, queued=crawl_id is not None)


async def run_crawl(
    *, pool: asyncpg.Pool, crawl_id: int, site_id: str, crawl: CrawlFn, record_interrupts: bool = False
) -> CrawlSummary | None:
    """Start the queued crawl, run `crawl(site, crawl_id)`, and record it done or failed.

    Returns None when the crawl was already finished (a repeated job). An interruption (cancellation, Ctrl-C,
    a job's time limit) is recorded only with `record_interrupts` (the CLI); a job leaves the crawl running,
    so the job's retry takes the same crawl up again. Either way the frontier stays for the next crawl.
    """
    if not await start_crawl(pool, crawl_id):
        log.info("crawl already finished; nothing to do", extra={"crawl_id": crawl_id})
        return None
    try:
        result = await crawl(await get_site(pool, site_id), crawl_id)
    except Exception as exc:
        await _record_failure(pool, crawl_id, site_id, exc)
        raise
    except BaseException as exc:
        if record_interrupts:
            await _record_failure(pool, crawl_id, site_id, exc)
        raise
    await finish_crawl(pool, crawl_id, ok=True, message=result.summary())
    return result


async def _record_failure(pool: asyncpg.Pool, crawl_id: int, site_id: str, exc: BaseException) -> None:
    message = failure_message(exc)
    if message != INTERRUPTED:  # the detail is for the logs; crawlStatus.message is public
        log.error("crawl failed", extra={"crawl_id": crawl_id, "site": site_id, "reason": message}, exc_info=exc)
    await finish_crawl(pool, crawl_id, ok=False, message=message)


def failure_message(exc: BaseException) -> str:
    """The message a failed crawl keeps, shown to anyone (`crawlStatus.message`): the class of failure,
    never the exception's text (addresses, paths, SQL); an unexpected one gets an id found in the logs."""
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return INTERRUPTED
    cause = getattr(exc, "os_error", None)  # aiohttp's connector errors wrap the OSError
    exc = cause if isinstance(cause, OSError) else exc
    if isinstance(exc, socket.gaierror):
        return "site unreachable: its name does not resolve"
    for kinds, message in FAILURE_CLASSES:
        if isinstance(exc, kinds):
            return message
    return f"internal error (id {uuid.uuid4().hex[:12]})"


async def due_sites(pool: asyncpg.Pool, now: datetime) -> list[str]:
    """Enabled sites with start URLs whose last crawl started longer ago than their schedule (or never), none in
    flight."""
    rows = await pool.fetch(
        """select s.id from site_list s
           where s.enabled and jsonb_array_length(coalesce(s.config->'start_urls', '[]'::jsonb)) > 0
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
    """Mark the crawl running; False when it already finished (so a repeated job does nothing)."""
    status = await pool.execute(
        "update crawls set state = 'running', started_at = now(), heartbeat_at = now() "
        "where id = $1 and state in ('queued', 'running')",
        crawl_id,
    )
    return bool(status.endswith(" 1"))


async def progress(pool: asyncpg.Pool, crawl_id: int, *, fetched: int, changed: int, errors: int, queued: int) -> None:
    """Write the crawl's counters so far; the heartbeat keeps `requeue_stale` away from a live crawl."""
    await pool.execute(
        """update crawls set pages_fetched = $2, pages_changed = $3, errors = $4, queued = $5, heartbeat_at = now()
           where id = $1""",
        crawl_id,
        fetched,
        changed,
        errors,
        queued,
    )


async def finish_crawl(pool: asyncpg.Pool, crawl_id: int, *, ok: bool, message: str | None = None) -> None:
    state = "done" if ok else "failed"
    await pool.execute(
        "update crawls set state = $2, finished_at = now(), message = $3 where id = $1", crawl_id, state, message
    )


async def get_crawl(pool: asyncpg.Pool, crawl_id: int) -> Crawl:
    row = await pool.fetchrow(CRAWL_SELECT + " where id = $1", crawl_id)
    if row is None:
        raise NotFound(f"no crawl {crawl_id}")
    return _row(row)


async def latest_crawl(pool: asyncpg.Pool, site_id: str) -> Crawl | None:
    row = await pool.fetchrow(CRAWL_SELECT + " where site_id = $1 order by queued_at desc limit 1", site_id)
    return _row(row) if row else None

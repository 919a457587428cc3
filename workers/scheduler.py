"""The scheduler: one leader (a Postgres advisory lock) enqueues each site's crawl on its schedule."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

import asyncpg

from core.crawls import due_sites, queue_crawl, requeue_stale
from core.db import connect_pool
from core.jobs import CRAWL_SITE, send
from core.monitoring.schedule import due_jobs, enqueue
from core.settings import Settings

log = logging.getLogger(__name__)
LEADER_LOCK = 0x59_57_53_43  # "YWSC"


async def tick(pool: asyncpg.Pool, settings: Settings, now: datetime | None = None) -> list[int]:
    """Queue every due site's crawl and send its job; returns the crawl ids queued."""
    from workers.broker import broker

    await requeue_stale(pool, older_than_s=max(settings.job_time_limit_s, 300))
    queued = []
    for site_id in await due_sites(pool, now or datetime.now(UTC)):
        crawl_id = await queue_crawl(pool, site_id, "schedule")
        if crawl_id is None:
            continue
        # Sent after the crawl row committed: a worker never sees a job for a crawl that does not exist.
        await asyncio.to_thread(send, broker, CRAWL_SITE, site_id, crawl_id)
        log.info("crawl queued", extra={"site": site_id, "crawl_id": crawl_id})
        queued.append(crawl_id)
    at = now or datetime.now(UTC)
    for actor, site_id in await due_jobs(pool, at):  # homepage probes, daily link checks, inspections
        await enqueue(pool, broker, actor, site_id, at)
    return queued


async def run_scheduler(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pool = await connect_pool(settings, max_size=3)
    try:
        async with pool.acquire() as leader:
            while not stop.is_set():
                if await leader.fetchval("select pg_try_advisory_lock($1)", LEADER_LOCK):
                    break
                log.info("another scheduler leads; standing by")
                await _sleep(stop, settings.scheduler_tick_s)
            log.info("scheduler leading", extra={"tick_s": settings.scheduler_tick_s})
            while not stop.is_set():
                try:
                    await tick(pool, settings)
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("scheduler tick failed; will retry", extra={"error": repr(exc)})
                await _sleep(stop, settings.scheduler_tick_s)
    finally:
        await pool.close()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass

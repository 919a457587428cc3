"""The scheduler: one leader (a Postgres advisory lock) enqueues each site's crawl on its schedule."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime

import asyncpg
import dramatiq

from core.clock import Clock, aware, system_clock
from core.crawls import due_sites, request_crawl, requeue_stale
from core.db import connect_pool
from core.identity.upkeep import run as identity_upkeep
from core.jobs import REBUILD_QA_GRAPH, build_broker
from core.monitoring.schedule import due_jobs, enqueue, last_enqueued
from core.qa.sync import enqueue_due as enqueue_hotline_sync
from core.settings import Settings

log = logging.getLogger(__name__)
LEADER_LOCK = 0x59_57_53_43  # "YWSC"
MAX_SKEW_S = 60.0  # a scheduler clock further than this from Postgres's is not trusted
QA_GRAPH_KEY = "graph"  # the key (job_runs) and argument of the service graph's rebuild: the whole graph


async def tick(*, pool: asyncpg.Pool, broker: dramatiq.Broker, settings: Settings, now: datetime) -> list[int]:
    """Queue every due site's crawl and send its job, then the due monitoring jobs; returns the crawl ids queued."""
    await requeue_stale(pool, older_than_s=max(settings.job_time_limit_s, 300))
    queued = []
    for site_id in await due_sites(pool, now):
        request = await request_crawl(pool=pool, broker=broker, site_id=site_id, trigger="schedule")
        if request.queued:
            queued.append(request.crawl.id)
    for actor, site_id in await due_jobs(pool, now):  # homepage probes, daily link checks, inspections
        await enqueue(pool, broker, actor, site_id, now)
    # identity: prune expired sessions, codes and tokens; retry due back-channel logouts (core/identity/upkeep.py)
    await identity_upkeep(pool=pool, settings=settings, now=now)
    # 一网通答: queue the 12345 knowledge-base sync every HOTLINE_SYNC_INTERVAL_S (when HOTLINE_SOURCE is set)
    await enqueue_hotline_sync(pool=pool, broker=broker, settings=settings, now=now)
    # 一网通答: the service graph rebuilt whole every QA_GRAPH_REBUILD_INTERVAL_S (docs/qa-graph.md)
    await enqueue_graph_rebuild(pool=pool, broker=broker, settings=settings, now=now)
    return queued


async def enqueue_graph_rebuild(
    *, pool: asyncpg.Pool, broker: dramatiq.Broker, settings: Settings, now: datetime
) -> str | None:
    """Send the service graph's whole rebuild when none was sent within QA_GRAPH_REBUILD_INTERVAL_S (0: never);
    the message id, or None when none is due. Guides and policies reach the graph as they change (the
    policy-library consumer); this mends what a lost or skipped event left behind."""
    every = settings.qa_graph_rebuild_interval_s
    if not every:
        return None
    last = await last_enqueued(pool, REBUILD_QA_GRAPH, QA_GRAPH_KEY)
    if last is not None and (now - last).total_seconds() < every:
        return None
    return await enqueue(pool, broker, REBUILD_QA_GRAPH, QA_GRAPH_KEY, now)


async def run_scheduler(settings: Settings, *, clock: Clock = system_clock) -> None:
    """Lead (or stand by for the lead) and tick every SCHEDULER_TICK_S until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        pool = await connect_pool(settings, max_size=3)
        stack.push_async_callback(pool.close)
        broker = build_broker(settings)
        stack.callback(broker.close)
        async with pool.acquire() as leader:
            await _lead(leader, stop, settings.scheduler_tick_s)
            log.info("scheduler leading", extra={"tick_s": settings.scheduler_tick_s})
            while not stop.is_set():
                try:
                    now = await scheduler_now(pool, clock)
                    await tick(pool=pool, broker=broker, settings=settings, now=now)
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("scheduler tick failed; will retry", extra={"error": repr(exc)})
                await _sleep(stop, settings.scheduler_tick_s)


async def scheduler_now(pool: asyncpg.Pool, clock: Clock) -> datetime:
    """The time a tick uses: the clock's, unless it is more than MAX_SKEW_S away from Postgres's `now()`.

    Crawls and job runs are stamped and compared in one time base; a clock jumped ahead would make every job
    due at once (and stamp runs in the future, so after the jump is undone nothing runs for that long), one
    jumped back would see crawls finish "after" the inspection that followed them and inspect on every tick."""
    moment = aware(clock())
    db_now: datetime = await pool.fetchval("select now()")
    skew = (moment - db_now).total_seconds()
    if abs(skew) <= MAX_SKEW_S:
        return moment
    log.warning("scheduler clock differs from Postgres's; using Postgres's", extra={"skew_s": round(skew, 1)})
    return db_now


async def _lead(leader: asyncpg.Connection, stop: asyncio.Event, tick_s: float) -> None:
    """Return once this process holds the leader lock (or is told to stop)."""
    while not stop.is_set():
        if await leader.fetchval("select pg_try_advisory_lock($1)", LEADER_LOCK):
            return
        log.info("another scheduler leads; standing by")
        await _sleep(stop, tick_s)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass

"""Process bodies: the consumers process, one crawl, and their shared open/close of pools and clients."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import asyncpg

from core.bus import Bus, Consumer, ConsumerRunner
from core.crawls import finish_crawl, start_crawl
from core.db import connect_pool
from core.settings import Settings
from core.sites import get_site
from scrapers.crawl import Crawler
from workers.analytics import AnalyticsConsumer
from workers.indexer import Indexer
from workers.policy_library import PolicyLibrary
from workers.projector import SearchProjector

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What a worker process holds open: the Postgres pool and the bus."""

    settings: Settings
    pool: asyncpg.Pool
    bus: Bus


@contextlib.asynccontextmanager
async def opened(settings: Settings, name: str, *, pool_size: int = 5) -> AsyncIterator[Runtime]:
    pool = await connect_pool(settings, max_size=pool_size)
    bus = await Bus(settings, name=name).connect()
    try:
        yield Runtime(settings, pool, bus)
    finally:
        await bus.close()
        await pool.close()


async def crawl_once(settings: Settings, site_id: str, crawl_id: int) -> None:
    async with opened(settings, f"crawl-{site_id}") as rt:
        if not await start_crawl(rt.pool, crawl_id):
            log.info("crawl already finished; nothing to do", extra={"crawl_id": crawl_id})
            return
        site = await get_site(rt.pool, site_id)
        try:
            result = await Crawler(settings, rt.pool, rt.bus).crawl(site, crawl_id)
        except Exception as exc:
            await finish_crawl(rt.pool, crawl_id, ok=False, message=repr(exc)[:500])
            raise
        await finish_crawl(rt.pool, crawl_id, ok=True, message=result.summary())


ConsumerFactory = Callable[[Runtime], Consumer]


def consumer_factories() -> dict[str, ConsumerFactory]:
    """Every consumer this process kind can run, by durable name."""
    factories: dict[str, ConsumerFactory] = {
        "indexer": lambda rt: Indexer(rt.pool, rt.bus),
        "analytics": lambda rt: AnalyticsConsumer(rt.pool, rt.bus),
        "policy-library": lambda rt: PolicyLibrary(rt.pool, rt.bus),
        "search-projector": lambda rt: SearchProjector.create(rt.settings, rt.pool),
    }
    return factories


async def run_consumers(settings: Settings, names: list[str] | None = None) -> None:
    """Run the named consumers (all by default) until SIGINT/SIGTERM; in-flight batches finish first."""
    factories = consumer_factories()
    names = names or list(factories)
    async with opened(settings, "consumers", pool_size=len(names) + 2) as rt:
        await rt.bus.ensure_streams()
        runners = [
            ConsumerRunner(rt.bus, c, batch=c.fetch_batch or settings.consumer_batch,
                           max_deliver=settings.consumer_max_deliver, ack_wait_s=settings.consumer_ack_wait_s)
            for c in (factories[n](rt) for n in names)
        ]  # fmt: skip
        loop = asyncio.get_running_loop()

        def stop_all() -> None:
            for r in runners:
                r.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_all)
        results = await asyncio.gather(*(r.run() for r in runners), return_exceptions=True)
        failed = [(r.consumer.name, e) for r, e in zip(runners, results, strict=True) if isinstance(e, Exception)]
        for name, exc in failed:
            log.error("consumer crashed", exc_info=exc, extra={"consumer": name})
        if failed:
            raise failed[0][1]

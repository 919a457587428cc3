"""Process bodies: the consumers process, and the open/close of pools and clients every worker shares."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from core.bus import Consumer, ConsumerRunner
from core.bus.progress import SEARCH_PROJECTOR
from core.services import Services, open_services
from core.settings import Settings
from workers.analytics import AnalyticsConsumer
from workers.applications import ApplicationsConsumer
from workers.content_analytics import ContentAnalyticsConsumer
from workers.disclosure_notify import DisclosureNotify
from workers.elected import ElectedRunner
from workers.indexer import ImportIndexer, Indexer
from workers.policy_library import PolicyLibrary
from workers.projector import SearchProjector
from workers.search_writer import search_writer

log = logging.getLogger(__name__)
# The consumers' event loop makes many small socket calls (queries, acks, publishes), each giving the GIL up, while
# the projector's threads convert documents in Python: at CPython's default 5 ms the loop waited up to that long to
# get the GIL back after every call. At 0.5 ms the import lane applies 299 pages/s instead of 126 (a fresh `up`'s
# disclosure register, docs/benchmarks.md).
SWITCH_INTERVAL_S = 0.0005


def opened(settings: Settings, name: str, *, pool_size: int = 5) -> AbstractAsyncContextManager[Services]:
    """What a job needs: the pool, the bus and the clock (`open_services` without a broker or search)."""
    return open_services(settings, name=name, pool_size=pool_size)


ConsumerFactory = Callable[[Services], Consumer]


def consumer_factories() -> dict[str, ConsumerFactory]:
    """Every consumer this process kind can run, by durable name."""
    factories: dict[str, ConsumerFactory] = {
        "indexer": lambda s: Indexer(s.pool, s.bus),
        "indexer-imports": lambda s: ImportIndexer(s.pool, s.bus),  # disclosure, letters: their own lane
        "analytics": lambda s: AnalyticsConsumer(s.pool, s.bus, clock=s.clock),
        "content-analytics": lambda s: ContentAnalyticsConsumer(s.pool, clock=s.clock),  # hot words (issue 18)
        "policy-library": lambda s: PolicyLibrary(s.pool, s.bus),
        "applications": lambda s: ApplicationsConsumer(s.pool, s.bus),  # the user space (issue 13)
        # residents' notifications of new disclosures (issue 15); a deployment passes its SMS/WeChat Notifier here
        "disclosure-notify": lambda s: DisclosureNotify(
            s.pool,
            s.bus,
            base_url=s.settings.issuer,
            clock=s.clock,
            resend_every_s=s.settings.disclosure_outbox_resend_s,  # the outbox re-sent on a timer too
        ),
        # The one search-index writer: the API processes open readers only.
        "search-projector": SearchProjector.create,
    }
    return factories


def _runner(services: Services, consumer: Consumer) -> ConsumerRunner:
    settings = services.settings
    return ConsumerRunner(
        services.bus,
        consumer,
        batch=consumer.fetch_batch or settings.consumer_batch,
        max_deliver=settings.consumer_max_deliver,
        ack_wait_s=settings.consumer_ack_wait_s,
    )


def _elected(services: Services) -> ElectedRunner:
    settings = services.settings
    return search_writer(
        services,
        batch=SearchProjector.fetch_batch or settings.consumer_batch,
        max_deliver=settings.consumer_max_deliver,
        ack_wait_s=settings.consumer_ack_wait_s,
    )


async def run_consumers(settings: Settings, names: list[str] | None = None) -> None:
    """Run the named consumers (all by default) until SIGINT/SIGTERM; in-flight batches finish first, or are
    handed back to JetStream after a few seconds (core.bus.consumer.STOP_GRACE_S) when Postgres is gone or hung."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    factories = consumer_factories()
    names = names or list(factories)
    async with open_services(settings, name="consumers", pool_size=len(names) + 2) as services:
        await services.bus.ensure_streams()
        # The search projector runs elected: one writer per index whatever the number of consumers processes.
        runners: list[ConsumerRunner | ElectedRunner] = [
            _elected(services) if n == SEARCH_PROJECTOR else _runner(services, factories[n](services)) for n in names
        ]
        loop = asyncio.get_running_loop()

        def stop_all() -> None:
            for r in runners:
                r.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_all)
        results = await asyncio.gather(*(r.run() for r in runners), return_exceptions=True)
    failed = [(name, e) for name, e in zip(names, results, strict=True) if isinstance(e, Exception)]
    for name, exc in failed:
        log.error("consumer crashed", exc_info=exc, extra={"consumer": name})
    if failed:
        raise failed[0][1]

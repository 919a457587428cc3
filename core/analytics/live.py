"""The hot-queries list, pushed live: NATS nudges from the analytics consumer, re-read from Postgres, throttled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg

from core.analytics.models import QueryCount, Window, check_limit
from core.analytics.service import hot_queries
from core.bus import Bus, HotQueriesUpdated, subject_for_site
from core.clock import Clock, system_clock
from core.errors import Upstream


async def hot_query_feed(
    pool: asyncpg.Pool,
    bus: Bus,
    *,
    window: Window,
    limit: int,
    site: str | None = None,
    min_interval_s: float = 1.0,
    clock: Clock = system_clock,
) -> AsyncIterator[list[QueryCount]]:
    """Yield the current list at once, then again whenever it changed, at most once per `min_interval_s`.

    Any API replica can serve this: every replica receives the core-NATS nudges. A burst of nudges within the
    interval is coalesced into one re-read.
    """
    check_limit(limit)
    changed = asyncio.Event()

    async def listen() -> None:
        async for _ in bus.live(HotQueriesUpdated, subject_for_site(HotQueriesUpdated, site)):
            changed.set()

    listener = asyncio.create_task(listen())
    try:
        await asyncio.sleep(0)  # let the listener subscribe before the first read
        last: list[QueryCount] | None = None
        last_read = 0.0
        while True:
            current = await hot_queries(pool, window=window, now=clock(), limit=limit, site=site)
            last_read = time.monotonic()
            if current != last:
                last = current
                yield current
            await _wait(changed, listener)
            await asyncio.sleep(max(0.0, last_read + min_interval_s - time.monotonic()))
            changed.clear()  # nudges that came during the pause are covered by the read below
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener


async def _wait(changed: asyncio.Event, listener: asyncio.Task[None]) -> None:
    """Wait for a nudge; surface the listener's failure (NATS gone) instead of waiting forever."""
    waiter = asyncio.create_task(changed.wait())
    try:
        done, _ = await asyncio.wait({waiter, listener}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if listener in done:
        listener.result()
        raise Upstream("the live hot-queries subscription to NATS ended")
    changed.clear()

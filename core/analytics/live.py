"""The hot-queries list, pushed live: NATS nudges re-read from Postgres (throttled), one read per list for all."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg

from core.analytics.models import QueryCount, Window, check_limit
from core.analytics.service import Hidden, hot_queries
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
    hidden: Hidden | None = None,
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
            current = await hot_queries(pool, window=window, now=clock(), limit=limit, site=site, hidden=hidden)
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


class _Subscriber:
    """The latest list for one subscriber: a slow one skips to the newest instead of queueing every change."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.value: list[QueryCount] | BaseException | None = None

    def put(self, value: list[QueryCount] | BaseException) -> None:
        self.value = value
        self.ready.set()

    async def get(self) -> list[QueryCount]:
        await self.ready.wait()
        self.ready.clear()
        value = self.value
        if isinstance(value, BaseException):
            raise value
        assert value is not None
        return value


class _SharedFeed:
    """One `hot_query_feed` whose every list goes to all its subscribers."""

    def __init__(self, feed: AsyncIterator[list[QueryCount]]) -> None:
        self.subscribers: set[_Subscriber] = set()
        self.latest: list[QueryCount] | None = None
        self.task = asyncio.create_task(self._run(feed))

    async def _run(self, feed: AsyncIterator[list[QueryCount]]) -> None:
        try:
            async for current in feed:
                self.latest = current
                for subscriber in self.subscribers:
                    subscriber.put(current)
        except Exception as exc:  # NATS gone: every subscriber sees the error
            for subscriber in self.subscribers:
                subscriber.put(exc)

    def join(self) -> _Subscriber:
        subscriber = _Subscriber()
        if self.latest is not None:
            subscriber.put(self.latest)
        self.subscribers.add(subscriber)
        return subscriber


class HotQueryFeeds:
    """The live hot-queries lists of one API process: one feed (one read per nudge) per (window, limit, site),
    however many clients subscribe to it; the feed stops when its last subscriber leaves."""

    def __init__(self) -> None:
        self._feeds: dict[tuple[Window, int, str | None], _SharedFeed] = {}

    def __len__(self) -> int:
        return len(self._feeds)

    async def subscribe(
        self,
        pool: asyncpg.Pool,
        bus: Bus,
        *,
        window: Window,
        limit: int,
        site: str | None = None,
        clock: Clock,
        hidden: Hidden | None = None,
    ) -> AsyncIterator[list[QueryCount]]:
        """The list of (window, limit, site), shared with every subscriber of it; `hidden` is the process's one
        rule of what a public list leaves out, so the first subscriber's serves them all."""
        check_limit(limit)
        key = (window, limit, site)
        shared = self._feeds.get(key)
        if shared is None or shared.task.done():
            feed = hot_query_feed(pool, bus, window=window, limit=limit, site=site, clock=clock, hidden=hidden)
            shared = self._feeds[key] = _SharedFeed(feed)
        subscriber = shared.join()
        try:
            while True:
                yield await subscriber.get()
        finally:
            shared.subscribers.discard(subscriber)
            if not shared.subscribers:
                if self._feeds.get(key) is shared:
                    del self._feeds[key]
                shared.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await shared.task

"""Per-host politeness: a concurrency cap and a minimum delay between requests, in-process or via Postgres."""

# The delay for a host is max(the site's setting, robots.txt Crawl-delay), capped at `max_delay_s` so that
# a robots.txt asking for an hour between requests cannot stall a crawl (such hosts are crawled at the cap).

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Protocol, runtime_checkable

import asyncpg

GRANT_SLOT = """
insert into crawl_host_slots as s (host, next_at) values ($1, now() + $2::interval)
on conflict (host) do update set next_at = greatest(s.next_at, now()) + $2::interval
returning extract(epoch from (s.next_at - $2::interval - clock_timestamp()))::float8 as wait_s
"""


@runtime_checkable
class HostLimiter(Protocol):
    """Grants the right to send one request to a host; `slot(host)` pairs acquire with release."""

    async def acquire(self, host: str) -> None: ...

    def release(self, host: str) -> None: ...

    def set_delay(self, host: str, delay_s: float) -> None: ...

    def slot(self, host: str) -> AbstractAsyncContextManager[None]: ...


class _Delays:
    """The delay per host: max(default, what robots.txt asked), never above the cap."""

    def __init__(self, delay_s: float, max_delay_s: float) -> None:
        self.default_s = delay_s
        self.max_s = max_delay_s
        self._asked: dict[str, float] = {}

    def set(self, host: str, delay_s: float) -> None:
        self._asked[host] = delay_s

    def get(self, host: str) -> float:
        return min(self.max_s, max(self.default_s, self._asked.get(host, 0.0)))


class _Slots(abc.ABC):
    """`slot(host)`: acquire, run the block, release — the same for every limiter."""

    @abc.abstractmethod
    async def acquire(self, host: str) -> None:
        """Wait until a request to `host` may start."""

    @abc.abstractmethod
    def release(self, host: str) -> None:
        """Mark a request to `host` finished."""

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        await self.acquire(host)
        try:
            yield
        finally:
            self.release(host)


class LocalHostLimiter(_Slots):
    """In-process limiter: at most `concurrency` requests in flight and `delay` between starts, per host."""

    def __init__(self, *, concurrency: int = 2, delay_s: float = 0.0, max_delay_s: float = 60.0) -> None:
        self._concurrency = concurrency
        self._delays = _Delays(delay_s, max_delay_s)
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._next_at: dict[str, float] = {}
        self._started_at: dict[str, float] = {}  # when the last request to a host really started

    def set_delay(self, host: str, delay_s: float) -> None:
        self._delays.set(host, delay_s)

    def delay_for(self, host: str) -> float:
        return self._delays.get(host)

    async def spaced(self, host: str, delay: float) -> None:
        """A waiter woken late (a busy event loop) must not bring the next one closer than the delay to it: the
        host sees the gaps between real starts, not between reserved ones."""
        # Checked again after each sleep: another waiter may have started meanwhile (no event says when it will).
        while (wait := self._started_at.get(host, float("-inf")) + delay - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        self._started_at[host] = time.monotonic()

    async def acquire(self, host: str) -> None:
        semaphore = self._semaphores.setdefault(host, asyncio.Semaphore(self._concurrency))
        await semaphore.acquire()
        # Reserve the next start time before sleeping, so waiters queue up in order without a lock.
        now = time.monotonic()
        start = max(now, self._next_at.get(host, now))
        reserved = self._next_at[host] = start + self._delays.get(host)
        try:
            if start > now:
                await asyncio.sleep(start - now)
            if (delay := self._delays.get(host)) > 0:
                await self.spaced(host, delay)
        except BaseException:
            if self._next_at.get(host) == reserved:
                self._next_at[host] = start  # a cancelled last waiter hands its slot on
            semaphore.release()
            raise

    def release(self, host: str) -> None:
        self._semaphores[host].release()


class PgHostLimiter(_Slots):
    """Limiter shared by every process on one database: start times are granted from `crawl_host_slots`."""

    # The delay between requests to a host holds across processes and machines (the database clock
    # decides); the concurrency cap is per process.

    def __init__(
        self, pool: asyncpg.Pool, *, concurrency: int = 2, delay_s: float = 0.0, max_delay_s: float = 60.0
    ) -> None:
        self._pool = pool
        self._local = LocalHostLimiter(concurrency=concurrency, delay_s=0.0, max_delay_s=max_delay_s)
        self._delays = _Delays(delay_s, max_delay_s)

    def set_delay(self, host: str, delay_s: float) -> None:
        self._delays.set(host, delay_s)

    def delay_for(self, host: str) -> float:
        return self._delays.get(host)

    async def acquire(self, host: str) -> None:
        await self._local.acquire(host)
        delay_s = self._delays.get(host)
        if delay_s <= 0:
            return  # no delay asked for this host: nothing to share, so no round trip to the database
        try:
            wait_s = await self._pool.fetchval(GRANT_SLOT, host, timedelta(seconds=delay_s))
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            # The grant spaces start times; a request woken late (a slow round trip, a busy loop) would bring the
            # next one closer than the delay — within this process the real starts are spaced as well.
            await self._local.spaced(host, delay_s)
        except BaseException:
            self._local.release(host)
            raise

    def release(self, host: str) -> None:
        self._local.release(host)

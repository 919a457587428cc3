"""A consumer that must run once at a time (the search-index writer): elected by a lease, fenced per batch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from nats.aio.msg import Msg

from core.bus import Bus, Consumer, ConsumerRunner
from core.election import LEASE_CHECK_S, Lease, lease_connection
from core.stopping import finished, unless_stopped

log = logging.getLogger(__name__)
Prepare = Callable[[Consumer[Any]], Awaitable[None]]


class FencedRunner(ConsumerRunner):
    """Hands a batch to its consumer only after confirming the lease on the lease's own connection; once the
    lease is lost it handles nothing more, gives the batch back to NATS (nak: the new leader gets it now) and
    stops."""

    def __init__(self, bus: Bus, consumer: Consumer[Any], lease: Lease, **options: Any) -> None:
        super().__init__(bus, consumer, **options)
        self.lease = lease

    async def process(self, msgs: list[Msg]) -> None:
        if not await self.lease.confirm():
            self.stop()
            await asyncio.gather(*(m.nak() for m in msgs), return_exceptions=True)
            return
        await super().process(msgs)


class _Candidate:
    """Asks for a lease on one connection kept while standing by (not a new connection every second)."""

    def __init__(self, dsn: str, name: str, check_s: float) -> None:
        self.dsn, self.name, self.check_s = dsn, name, check_s
        self.conn: asyncpg.Connection | None = None

    async def ask(self) -> Lease | None:
        try:
            if self.conn is None or self.conn.is_closed():
                self.conn = await lease_connection(self.dsn, self.name)
            lease = await Lease.try_acquire(self.conn, self.name, check_s=self.check_s)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("cannot ask for the lease; will retry", extra={"lease": self.name, "error": repr(exc)})
            await self.close()
            return None
        if lease is not None:
            self.conn = None  # the lease holds it now, and closes it when released
        return lease

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.terminate()


class ElectedRunner:
    """Stands by until this process holds the lease `name`, then runs a fresh consumer until told to stop or
    the lease is lost (then stands by again). `prepare` runs first, holding the lease (claim a writer,
    bootstrap a replica) and `warm` beside the first election (load what a takeover would wait for); the lease
    is released only once the consumer has closed."""

    def __init__(
        self,
        *,
        bus: Bus,
        dsn: str,
        name: str,
        make: Callable[[], Consumer[Any]],
        prepare: Prepare | None = None,
        warm: Callable[[], Awaitable[None]] | None = None,
        retry_s: float = 1.0,
        check_s: float = LEASE_CHECK_S,
        **runner_options: Any,
    ) -> None:
        self.bus, self.dsn, self.name = bus, dsn, name
        self.make, self.prepare, self.warm = make, prepare, warm
        self.retry_s, self.check_s = retry_s, check_s
        self.runner_options = runner_options
        self.runner: FencedRunner | None = None
        self.terms = 0  # how many times this runner has led
        self.led_at: float | None = None  # monotonic time the current term began (its consumer ready)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()
        if self.runner is not None:
            self.runner.stop()

    @property
    def leading(self) -> bool:
        return self.runner is not None

    async def run(self) -> None:
        # Loaded while standing by (the analyser's dictionaries take seconds): a takeover then writes at once.
        warming = asyncio.create_task(self._warm()) if self.warm is not None else None
        try:
            await self._elect()
        finally:
            if warming is not None:
                warming.cancel()

    async def _warm(self) -> None:
        assert self.warm is not None
        try:
            await self.warm()
        except Exception:  # leading works without it, only the first batch is slower
            log.exception("warm-up failed", extra={"lease": self.name})
            return
        log.info("warmed up: ready to lead", extra={"lease": self.name})

    async def _elect(self) -> None:
        candidate = _Candidate(self.dsn, self.name, self.check_s)
        standing_by = False
        try:
            while not self._stop.is_set():
                lease = await self._ask(candidate)
                if lease is None:
                    if self._stop.is_set():
                        break
                    if not standing_by:
                        log.info("another process leads; standing by", extra={"lease": self.name})
                        standing_by = True
                    await self._pause(self.retry_s)
                    continue
                standing_by = False
                try:
                    await self._term(lease)
                finally:
                    await lease.release()
        finally:
            await candidate.close()

    async def _ask(self, candidate: _Candidate) -> Lease | None:
        """The candidate's answer, or None at once when a stop is asked meanwhile (a connection being made to a
        hung Postgres waits out its timeout; the candidate's connection is terminated when `_elect` ends)."""
        asking = await unless_stopped(candidate.ask(), self._stop)
        if finished(asking):
            return asking.result()
        await asyncio.gather(asking, return_exceptions=True)
        return None

    async def _term(self, lease: Lease) -> None:
        """Lead until stopped or the lease is lost; a crash of the consumer ends the process (as unelected ones do)."""
        self.terms += 1
        body = asyncio.create_task(self._lead(lease))
        watch = asyncio.create_task(lease.watch())
        stopped = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({body, watch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if self.runner is not None:
                self.runner.stop()
            elif not body.done():
                body.cancel()  # still preparing (a bootstrap): it aborts and closes what it opened
            for task in (watch, stopped):
                task.cancel()
            try:
                await body
            except asyncio.CancelledError:
                pass
            finally:
                self.runner, self.led_at = None, None
        if lease.lost:
            log.error("lease lost: the consumer stopped writing", extra={"lease": self.name})

    async def _lead(self, lease: Lease) -> None:
        consumer = self.make()
        try:
            if self.prepare is not None:
                await self.prepare(consumer)
        except BaseException:
            await consumer.close()
            raise
        if self._stop.is_set() or lease.lost:
            await consumer.close()
            return
        self.runner = FencedRunner(self.bus, consumer, lease, **self.runner_options)
        self.led_at = time.monotonic()
        log.info("leading", extra={"lease": self.name, "consumer": consumer.name, "term": self.terms})
        await self.runner.run()  # closes the consumer when it returns

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

"""Durable JetStream consumers: explicit acks after the work commits, max-deliver, then a dead letter."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from core.bus.client import RETRYABLE, Bus
from core.bus.events import DLQ_PREFIX, Event
from core.db import unavailable
from core.errors import Invalid, Upstream
from core.logs import message_id
from core.stopping import finished, unless_stopped

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)
# Once a stop is asked, a batch in hand may take this long to finish; then it is given back to NATS (its
# transaction never commits) so a Postgres that is gone or hung cannot hold the process.
STOP_GRACE_S = 3.0
FETCH_TIMEOUT_S = 1.0  # a fetch returns what arrived by then, or nothing


@dataclass(frozen=True)
class Delivery(Generic[E]):
    """One decoded event with its delivery facts."""

    event: E
    msg: Msg
    attempt: int
    pending: int


class Consumer(abc.ABC, Generic[E]):
    """A durable consumer of the event types it declares; `handle` must be idempotent (redelivery changes nothing)."""

    name: str
    event_types: tuple[type[E], ...]  # every type read; the stream must carry all their subjects
    stream: str
    subject: str | None = None  # narrows a one-type consumer to one subject; default: every partition of each type
    fetch_batch: int | None = None  # a preferred batch size; None: the runner's (CONSUMER_BATCH)
    tick_every_s: float | None = None  # when set, the runner calls `tick` this often, events or not

    def subjects(self) -> list[str]:
        """The subjects this consumer reads: its own, or every partition of each of its event types."""
        if self.subject:
            return [self.subject]
        return [f"{t.SUBJECT}.>" for t in self.event_types]

    def decode(self, subject: str, data: bytes) -> E:
        """One message as the event type its subject names; Invalid when no declared type owns the subject."""
        for event_type in self.event_types:
            if subject.startswith(f"{event_type.SUBJECT}."):
                return event_type.decode(data)
        raise Invalid(f"{subject} is not a subject of {', '.join(t.__name__ for t in self.event_types)}")

    @abc.abstractmethod
    async def handle(self, batch: Sequence[E]) -> None:
        """Apply a batch atomically; raise to have the whole batch redelivered."""

    async def tick(self) -> None:
        """Work owed on a timer rather than on an event (an outbox a crashed writer left, say); the runner calls it
        every `tick_every_s` while it runs, logs a failure and calls it again at the next tick."""

    async def close(self) -> None:
        """Release what the consumer holds (an index writer, say); the runner calls it when it stops."""

    def config(self, max_deliver: int, ack_wait_s: float, batch: int) -> ConsumerConfig:
        subjects = self.subjects()
        one = len(subjects) == 1
        return ConsumerConfig(
            durable_name=self.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=max_deliver,
            ack_wait=ack_wait_s,
            max_ack_pending=batch * 8,
            filter_subject=subjects[0] if one else None,
            filter_subjects=None if one else subjects,
        )


@dataclass
class ConsumerStats:
    """Counters a runner keeps for /metrics and logs."""

    consumed: int = 0
    failed: int = 0
    dead_lettered: int = 0
    pending: int = 0


class ConsumerRunner:
    """Pulls batches for one consumer until stopped; a crash mid-batch leaves the batch unacked."""

    def __init__(
        self, bus: Bus, consumer: Consumer[Any], *, batch: int = 64, max_deliver: int = 5, ack_wait_s: float = 60.0
    ) -> None:
        self.bus = bus
        self.consumer = consumer
        self.batch = batch
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.stats = ConsumerStats()
        self.stop_grace_s = STOP_GRACE_S
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        c = self.consumer
        config = c.config(self.max_deliver, self.ack_wait_s, self.batch)
        sub = await self.bus.js.pull_subscribe(
            config.filter_subject or "", durable=c.name, stream=c.stream, config=config
        )
        log.info("consumer started", extra={"consumer": c.name, "subjects": c.subjects()})
        # The next batch is fetched while this one is handled: the round trip to NATS overlaps the work.
        # Handlers are idempotent and order-independent, so a prefetched batch may be applied after a retry.
        pending_fetch = asyncio.create_task(self._fetch(sub))
        ticks = asyncio.create_task(self._ticks(c.tick_every_s)) if c.tick_every_s else None
        try:
            while not self._stop.is_set():
                msgs = await pending_fetch
                if self._stop.is_set():
                    break  # this batch is given back below
                pending_fetch = asyncio.create_task(self._fetch(sub))
                if msgs:
                    await self.process(msgs)
        finally:
            await self._give_back(pending_fetch)
            if ticks is not None:  # a tick cut short is owed work left in place: the next run does it
                ticks.cancel()
                await asyncio.gather(ticks, return_exceptions=True)
            with contextlib.suppress(Exception):  # nothing left for the connection's drain to wait on
                await sub.unsubscribe()
            await c.close()
        log.info("consumer stopped", extra={"consumer": c.name, **vars(self.stats)})

    async def _give_back(self, fetch: asyncio.Task[list[Msg]]) -> None:
        """The batch fetched while the last one was handled, not handled: nak'ed, so that it is redelivered at once
        (to this consumer's next run or another process) rather than after the ack wait. The fetch is let finish
        (it waits at most its 1 s timeout): messages it is bringing in would otherwise be held until the ack wait."""
        try:
            msgs = await asyncio.wait_for(fetch, timeout=FETCH_TIMEOUT_S + 2)
        except (asyncio.CancelledError, Exception):  # cut short, or failed: nothing it brought is ours to give back
            return
        await asyncio.gather(*(m.nak() for m in msgs), return_exceptions=True)

    async def _ticks(self, every_s: float) -> None:
        """The consumer's timer: `tick` every `every_s` until stopped. A failure is logged (a warning while
        Postgres or NATS is away, else an error with its traceback) and the next tick tries again."""
        name = self.consumer.name
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=every_s)
                return
            try:
                await self.consumer.tick()
            except Exception as exc:
                if unavailable(exc) or isinstance(exc, (*RETRYABLE, Upstream)):
                    log.warning("tick waiting for postgres or nats", extra={"consumer": name, "error": repr(exc)})
                else:
                    log.exception("tick failed; trying again at the next", extra={"consumer": name})

    async def _fetch(self, sub: Any) -> list[Msg]:
        """The next batch; an empty one while NATS is away or a cluster elects the consumer's new leader."""
        try:
            return list(await sub.fetch(self.batch, timeout=FETCH_TIMEOUT_S))
        except (TimeoutError, NatsTimeout):
            return []
        except RETRYABLE as exc:  # a closed connection, a node gone, JetStream answering 503 for a moment
            if not self._stop.is_set():
                log.warning("fetch waiting for nats", extra={"consumer": self.consumer.name, "error": repr(exc)})
                await asyncio.sleep(0.5)
            return []

    async def process(self, msgs: list[Msg]) -> None:
        good: list[Delivery[Any]] = []
        for msg in msgs:
            meta = msg.metadata
            try:
                event = self.consumer.decode(msg.subject, msg.data)
            except Invalid as exc:
                await self._dead_letter(msg, f"malformed: {exc.message}")
                continue
            good.append(Delivery(event, msg, meta.num_delivered, meta.num_pending))
        if not good:
            return
        self.stats.pending = good[-1].pending
        try:
            handled = await self._handle_through_outages(good)
        except Exception:
            self.stats.failed += 1
            log.exception("batch failed; retrying one by one", extra={"consumer": self.consumer.name})
            await self._one_by_one(good)
            return
        if handled:
            await asyncio.gather(*(d.msg.ack() for d in good))
            self.stats.consumed += len(good)

    async def _handle_through_outages(self, good: list[Delivery[Any]]) -> bool:
        """Handle the batch; while Postgres is unreachable keep it (JetStream told we are still on it) and try
        again, so an outage spends no delivery and dead-letters nothing. False: stopped meanwhile, batch nak'ed
        (redelivered at once, to this consumer's next run or another process)."""
        delay = 0.2
        while True:
            try:
                if await self._handle_unless_stopped([d.event for d in good]):
                    return True
                break
            except Exception as exc:
                if not unavailable(exc):
                    raise
                if self._stop.is_set():
                    break
                log.warning("batch waiting for postgres", extra={"consumer": self.consumer.name, "error": repr(exc)})
            await asyncio.gather(*(d.msg.in_progress() for d in good), return_exceptions=True)
            with contextlib.suppress(TimeoutError):  # the pause ends early when a stop is asked
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
                break
            delay = min(delay * 2, 5.0, self.ack_wait_s / 2)  # told again before the ack wait runs out
        await asyncio.gather(*(d.msg.nak() for d in good), return_exceptions=True)
        return False

    async def _handle_unless_stopped(self, events: list[Any]) -> bool:
        """Handle a batch; False when a stop asked meanwhile is not followed by the batch's end within
        `stop_grace_s`: the handler is then cancelled (its transaction rolls back) and not waited on, as a hung
        Postgres would hold even the rollback (the pool is closed with a bound: core.db.close_pool)."""
        handling = await unless_stopped(self.consumer.handle(events), self._stop, grace=self.stop_grace_s)
        if finished(handling):
            handling.result()  # the handler's exception, if any
            return True
        log.warning("stopping: batch given back unfinished", extra={"consumer": self.consumer.name})
        return False

    async def _one_by_one(self, deliveries: list[Delivery[Any]]) -> None:
        """Isolate a poison message: good ones are applied and acked, the bad one retried or dead-lettered."""
        for d in deliveries:
            token = message_id.set(d.event.key)
            try:
                await self.consumer.handle([d.event])
                await d.msg.ack()
                self.stats.consumed += 1
            except Exception as exc:
                if d.attempt >= self.max_deliver:
                    await self._dead_letter(d.msg, repr(exc))
                else:
                    await d.msg.nak(delay=min(2.0**d.attempt, 60.0))
            finally:
                message_id.reset(token)

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        headers = {
            "Yw-Consumer": self.consumer.name,
            "Yw-Original-Subject": msg.subject,
            "Yw-Reason": reason[:500],
            "Nats-Msg-Id": f"dlq:{self.consumer.name}:{msg.metadata.sequence.stream}",
        }
        await self.bus.js.publish(f"{DLQ_PREFIX}.{self.consumer.name}", msg.data, headers=headers)
        await msg.term()
        self.stats.dead_lettered += 1
        log.error("dead-lettered", extra={"consumer": self.consumer.name, "subject": msg.subject, "reason": reason})


async def consumer_lag(bus: Bus, stream: str, durable: str) -> dict[str, int]:
    """Pending (not yet delivered) and unacked counts of a durable consumer, for /metrics.

    `acked` is the stream sequence below which every message is acked; `waiting` counts open pull requests
    (a running consumer keeps one open), so callers can tell a slow consumer from an absent one.
    """
    info = await bus.js.consumer_info(stream, durable)
    return {
        "pending": int(info.num_pending or 0),
        "ack_pending": int(info.num_ack_pending or 0),
        "delivered": int(info.delivered.stream_seq or 0),
        "acked": int(info.ack_floor.stream_seq or 0),
        "waiting": int(info.num_waiting or 0),
    }

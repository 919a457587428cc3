"""Live events fanned out in-process: one core-NATS subscription per event type, a bounded queue per listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

from core.bus.events import Event
from core.errors import Conflict, Invalid

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)

LISTENER_QUEUE = 100  # events a listener may fall behind before it is cut off
PENDING_LIMIT = 10_000  # what the one shared NATS subscription may buffer (per process, not per listener)
_CUT = object()  # queued last for a listener that fell behind
_END = object()  # queued for every listener when the bus closes


class SlowConsumer(Conflict):
    """A live feed fell more events behind than its queue holds; it ends so the client can resubscribe."""

    code = "SLOW_CONSUMER"


@dataclass
class FanoutStats:
    """What the hub holds now and has done since it started."""

    subscriptions: int = 0  # core-NATS subscriptions open now
    listeners: int = 0  # live feeds now
    decoded: int = 0  # events decoded (once each, however many listeners)
    delivered: int = 0  # events handed to a listener's queue
    cut_off: int = 0  # listeners ended with SLOW_CONSUMER


def pattern_matches(pattern: tuple[str, ...], subject: tuple[str, ...]) -> bool:
    """NATS subject matching: `*` is one token, a last `>` one or more."""
    for i, token in enumerate(pattern):
        if token == ">":
            return len(subject) > i
        if i >= len(subject) or (token != "*" and token != subject[i]):
            return False
    return len(pattern) == len(subject)


class _Listener:
    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue(maxsize=size)

    def offer(self, item: object) -> bool:
        """Queue `item`; False when full: then the oldest is dropped and the cut-off marker queued instead."""
        try:
            self.queue.put_nowait(item)
            return True
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.queue.put_nowait(_CUT)
            return False

    def end(self) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)


@dataclass
class _Topic:
    event_type: type[Event]
    by_pattern: dict[tuple[str, ...], set[_Listener]] = field(default_factory=dict)
    opening: asyncio.Task[Subscription] | None = None

    def count(self) -> int:
        return sum(len(group) for group in self.by_pattern.values())

    def remove(self, pattern: tuple[str, ...], listener: _Listener) -> None:
        group = self.by_pattern.get(pattern)
        if group is not None:
            group.discard(listener)
            if not group:
                del self.by_pattern[pattern]


class Fanout:
    """Relays each event type's live events from one shared NATS subscription (`SUBJECT.>`, opened with its first
    listener and closed with its last), decoded once, to every listener whose subject pattern matches."""

    def __init__(self, nc: NATS, *, queue_size: int = LISTENER_QUEUE) -> None:
        self.nc = nc
        self.queue_size = queue_size
        self.stats = FanoutStats()
        self._topics: dict[str, _Topic] = {}

    async def listen(self, event_type: type[E], subject: str) -> AsyncGenerator[E, None]:
        """Events on `subject` (wildcards allowed) from now on; raises SlowConsumer once it falls too far behind."""
        if not subject.startswith(event_type.SUBJECT + "."):
            raise Invalid(f"{subject} is not a {event_type.__name__} subject")
        pattern, listener = tuple(subject.split(".")), _Listener(self.queue_size)
        topic = await self._join(event_type, pattern, listener)
        try:
            while True:
                item = await listener.queue.get()
                if item is _END:
                    return
                if item is _CUT:
                    raise SlowConsumer(
                        f"this live feed fell more than {self.queue_size} events behind and was ended; subscribe again"
                    )
                yield cast(E, item)
        finally:
            await self._leave(topic, pattern, listener)

    async def _join(self, event_type: type[Event], pattern: tuple[str, ...], listener: _Listener) -> _Topic:
        topic = self._topics.get(event_type.SUBJECT)
        if topic is None:
            topic = self._topics[event_type.SUBJECT] = _Topic(event_type)
            topic.opening = asyncio.create_task(self._open(topic))
        topic.by_pattern.setdefault(pattern, set()).add(listener)
        self.stats.listeners += 1
        try:
            assert topic.opening is not None
            await asyncio.shield(topic.opening)
        except BaseException:
            await self._leave(topic, pattern, listener)
            raise
        return topic

    async def _open(self, topic: _Topic) -> Subscription:
        async def deliver(msg: Msg) -> None:
            self._deliver(topic, msg)
            await asyncio.sleep(0)  # listeners run between two events of a burst, so a quick one never lags

        key = topic.event_type.SUBJECT
        try:
            sub = await self.nc.subscribe(f"{key}.>", cb=deliver, pending_msgs_limit=PENDING_LIMIT)
        except BaseException:
            if self._topics.get(key) is topic:  # the next listener tries again
                del self._topics[key]
            raise
        self.stats.subscriptions += 1
        return sub

    def _deliver(self, topic: _Topic, msg: Msg) -> None:
        subject = tuple(msg.subject.split("."))
        groups = [group for pattern, group in topic.by_pattern.items() if pattern_matches(pattern, subject)]
        if not groups:
            return
        try:
            event: Any = topic.event_type.decode(msg.data)
        except Invalid as exc:
            log.warning("dropped malformed live event", extra={"subject": msg.subject, "error": str(exc)})
            return
        self.stats.decoded += 1
        for group in groups:
            for listener in list(group):
                if listener.offer(event):
                    self.stats.delivered += 1
                else:  # fell behind: it gets no more, and ends at the marker
                    group.discard(listener)
                    self.stats.cut_off += 1

    async def _leave(self, topic: _Topic, pattern: tuple[str, ...], listener: _Listener) -> None:
        topic.remove(pattern, listener)
        self.stats.listeners -= 1
        if topic.count() or self._topics.get(topic.event_type.SUBJECT) is not topic:
            return
        del self._topics[topic.event_type.SUBJECT]  # a listener joining from now on opens a new subscription
        await asyncio.shield(self._close(topic))

    async def _close(self, topic: _Topic) -> None:
        assert topic.opening is not None
        try:
            sub = await topic.opening
        except Exception:  # never opened: nothing to close
            return
        self.stats.subscriptions -= 1
        with contextlib.suppress(NatsError, TimeoutError, OSError):  # closed, draining: the drain removes it
            await sub.unsubscribe()

    def close(self) -> None:
        """End every listener's feed (the bus is closing; its connection's drain removes the subscriptions)."""
        for topic in list(self._topics.values()):
            for group in topic.by_pattern.values():
                for listener in group:
                    listener.end()
            topic.by_pattern.clear()

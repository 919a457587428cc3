"""Stand-ins for what an API process opens, so the app's own logic is tested without Postgres or NATS."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from core.bus.fanout import FanoutStats
from core.services import Services
from core.settings import Settings


class FakePool:
    """Answers the few statements /readyz and /metrics send; `hang` makes every answer late."""

    def __init__(self, *, documents: int = 0, queued: dict[str, int] | None = None, hang: bool = False) -> None:
        self.documents = documents
        self.queued = queued or {}
        self.hang = hang
        self.counts = 0  # count(*) statements answered

    async def fetchval(self, sql: str, *args: object) -> object:
        if self.hang:
            await asyncio.sleep(3600)  # not a wait: a database that never answers, for the caller's timeout
        if "to_regclass" in sql:
            return "dramatiq.queue"
        if "count(*)" in sql:
            self.counts += 1
            return self.documents
        return True

    async def fetch(self, sql: str, *args: object) -> list[dict[str, Any]]:
        return [{"queue_name": q, "n": n} for q, n in self.queued.items()]


class FakeJetStream:
    """JetStream's consumer and stream info, or an error for every call when NATS is unreadable."""

    def __init__(self, *, pending: int = 0, messages: int = 0, broken: bool = False) -> None:
        self.pending, self.messages, self.broken = pending, messages, broken

    async def consumer_info(self, stream: str, durable: str) -> SimpleNamespace:
        if self.broken:
            raise ConnectionError("nats is away")
        seq = SimpleNamespace(stream_seq=7)
        return SimpleNamespace(num_pending=self.pending, num_ack_pending=1, delivered=seq, ack_floor=seq, num_waiting=1)

    async def stream_info(self, stream: str) -> SimpleNamespace:
        if self.broken:
            raise ConnectionError("nats is away")
        return SimpleNamespace(state=SimpleNamespace(messages=self.messages))


class FakeEngine:
    def __init__(self, *, healthy: bool = True) -> None:
        self.healthy = healthy

    async def health(self) -> bool:
        if not self.healthy:
            raise OSError("index directory is gone")
        return True


def services(
    *, pool: FakePool | None = None, js: FakeJetStream | None = None, connected: bool = True, engine: Any = None
) -> Services:
    # a bus's live fan-out (core/bus/fanout.py) holding 2 shared subscriptions for 5 feeds, read by /metrics
    fanout = SimpleNamespace(stats=FanoutStats(subscriptions=2, listeners=5, decoded=7, delivered=30))
    bus = SimpleNamespace(connected=connected, js=js or FakeJetStream(), fanout=fanout)
    return Services(settings=Settings(), pool=pool or FakePool(), bus=bus, engine=engine)  # type: ignore[arg-type]

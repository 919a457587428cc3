"""The analytics consumer: searches and clicks become hourly counters; live subscribers get a nudge per batch."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from nats.js.api import ConsumerConfig

from core.analytics import Activity, apply_events, decode_activity, prune_event_keys
from core.bus import Bus, Consumer, HotQueriesUpdated, ResultClicked, SearchLogged
from core.bus.client import STREAM_MAX_AGE_S

log = logging.getLogger(__name__)
# Event keys are kept a day longer than the stream can replay them; older ones cannot be redelivered.
KEY_HORIZON = timedelta(seconds=STREAM_MAX_AGE_S) + timedelta(days=1)
PRUNE_EVERY_S = 3600.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AnalyticsConsumer(Consumer[Activity]):
    """Reads both event types of YW_SEARCH; a redelivered or reordered event changes nothing twice."""

    name = "analytics"
    event_type = SearchLogged
    stream = "YW_SEARCH"
    fetch_batch = 1000  # per-batch costs (commit, round trips) dominate below a few hundred events

    def __init__(self, pool: asyncpg.Pool, bus: Bus, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.pool = pool
        self.bus = bus
        self.clock = clock
        self._pruned_at = time.monotonic()

    def config(self, max_deliver: int, ack_wait_s: float, batch: int) -> ConsumerConfig:
        config = super().config(max_deliver, ack_wait_s, batch)
        config.filter_subject = None
        config.filter_subjects = [f"{SearchLogged.SUBJECT}.>", f"{ResultClicked.SUBJECT}.>"]
        return config

    def decode(self, data: bytes) -> Activity:
        return decode_activity(data)

    async def handle(self, batch: Sequence[Activity]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            applied = await apply_events(conn, batch)
        at = self.clock().isoformat()
        for site, (searches, clicks) in applied.sites.items():
            try:
                await self.bus.notify(HotQueriesUpdated(searches=searches, clicks=clicks, at=at, site=site or None))
            except Exception as exc:  # a lost nudge only delays a live list; the counters are committed
                log.warning("hot-queries notification not sent", extra={"error": repr(exc)})
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            async with self.pool.acquire() as conn:
                removed = await prune_event_keys(conn, self.clock() - KEY_HORIZON)
            log.info("pruned analytics event keys", extra={"removed": removed})

"""The analytics consumer: searches and clicks become hourly counters; live subscribers get a nudge per batch."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import timedelta

import asyncpg

from core.analytics import Activity, apply_events, count_click_views, prune_event_keys, prune_visits
from core.bus import Bus, Consumer, HotQueriesUpdated, ResultClicked, SearchLogged
from core.bus.client import STREAM_MAX_AGE_S
from core.clock import Clock, system_clock

log = logging.getLogger(__name__)
# Event keys are kept a day longer than the stream can replay them; older ones cannot be redelivered.
KEY_HORIZON = timedelta(seconds=STREAM_MAX_AGE_S) + timedelta(days=1)
PRUNE_EVERY_S = 3600.0


class AnalyticsConsumer(Consumer[Activity]):
    """Reads both event types of YW_SEARCH; a redelivered or reordered event changes nothing twice."""

    name = "analytics"
    event_types = (SearchLogged, ResultClicked)
    stream = "YW_SEARCH"
    fetch_batch = 1000  # per-batch costs (commit, round trips) dominate below a few hundred events

    def __init__(self, pool: asyncpg.Pool, bus: Bus, *, clock: Clock = system_clock) -> None:
        self.pool = pool
        self.bus = bus
        self.clock = clock
        self._pruned_at = time.monotonic()

    async def handle(self, batch: Sequence[Activity]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            applied = await apply_events(conn, batch)
            await count_click_views(conn, applied.clicked)  # a click on a result is a view of its document
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
            removed += await prune_visits(self.pool, now=self.clock())
            log.info("pruned analytics event keys", extra={"removed": removed})

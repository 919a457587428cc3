"""The content-analytics consumer: each changed document's salient terms become per-day term counts."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import asyncpg

from core.analytics import apply_documents, prune_content
from core.bus import Consumer, DocumentChanged
from core.clock import Clock, system_clock

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0


class ContentAnalyticsConsumer(Consumer[DocumentChanged]):
    """Reads YW_DOC; counts each document's current state, so a redelivered or reordered event changes nothing."""

    name = "content-analytics"
    event_types = (DocumentChanged,)
    stream = "YW_DOC"
    fetch_batch = 500

    def __init__(self, pool: asyncpg.Pool, *, clock: Clock = system_clock) -> None:
        self.pool = pool
        self.clock = clock
        self._pruned_at = time.monotonic()

    async def handle(self, batch: Sequence[DocumentChanged]) -> None:
        await apply_documents(self.pool, [e.document_id for e in batch], now=self.clock())
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            removed = await prune_content(self.pool, now=self.clock())
            log.info("pruned content analytics", extra={"removed": removed})

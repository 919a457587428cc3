"""The indexer consumer: fetched pages become documents in Postgres; changes are published after commit."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from core.bus import Bus, Consumer, PageFetched
from core.documents import apply_pages


class Indexer(Consumer[PageFetched]):
    """Applies `crawl.page` events to the document store; a redelivered batch changes nothing twice."""

    name = "indexer"
    event_types = (PageFetched,)
    stream = "YW_CRAWL"

    def __init__(self, pool: asyncpg.Pool, bus: Bus) -> None:
        self.pool = pool
        self.bus = bus

    async def handle(self, batch: Sequence[PageFetched]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            changes = await apply_pages(conn, batch)
        # After commit: if publishing fails the batch is redelivered and the same changes re-emitted
        # (apply_pages recognises its own last event), and JetStream drops what was already published.
        for change in changes:
            await self.bus.publish(change)

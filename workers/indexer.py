"""The indexer consumers: fetched and imported pages become documents in Postgres; changes are published after
commit. Two lanes of one stream, each with its own durable: crawled pages (`indexer`) and the pages the platform
writes itself (`indexer-imports`: disclosure, letters), so a bulk import never queues crawls behind it."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from core.bus import Bus, Consumer, PageFetched, PageImported
from core.documents import apply_pages


class Indexer(Consumer[PageFetched]):
    """Applies crawled `crawl.page` events to the document store; a redelivered batch changes nothing twice."""

    name = "indexer"
    event_types: tuple[type[PageFetched], ...] = (PageFetched,)
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


class ImportIndexer(Indexer):
    """The same for `crawl.import` events: pages published by the platform's own registers."""

    name = "indexer-imports"
    event_types = (PageImported,)

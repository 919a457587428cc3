"""The search projector consumer: every DocumentChanged makes the search index match Postgres again."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg
from nats.js.api import ConsumerConfig, DeliverPolicy

from core.bus import Consumer, DocumentChanged
from core.bus.progress import DOC_STREAM, SEARCH_PROJECTOR
from core.search import SearchEngine, engine_for
from core.search.projection import index_docs
from core.services import Services

log = logging.getLogger(__name__)


class SearchProjector(Consumer[DocumentChanged]):
    """Projects documents into the search index by id from their current rows, so any event order converges."""

    # One projector per index writes it, in the consumers process holding the index's lease
    # (workers/search_writer.py, docs/operations.md); API processes open the same index as readers.
    # Home and column pages are not indexed (core.search.projection).
    name = SEARCH_PROJECTOR
    event_types = (DocumentChanged,)
    stream = DOC_STREAM
    # Each batch is one tantivy commit (a new segment, later merged): at the default 64 a backlog drained
    # at ~600 docs/s, at 1,000 at ~1,150; a single change still comes alone and at once.
    fetch_batch = 1000

    def __init__(self, pool: asyncpg.Pool, engine: SearchEngine) -> None:
        self.pool = pool
        self.engine = engine
        self._opened = False

    @classmethod
    def create(cls, services: Services) -> SearchProjector:
        """The projector over the engine the settings name; it opens (as the writer) on the first batch."""
        return cls(services.pool, engine_for(services.settings))

    async def opened(self) -> None:
        """Open the engine (as the writer) now instead of on the first batch."""
        if not self._opened:
            await self.engine.open()
            self._opened = True

    async def handle(self, batch: Sequence[DocumentChanged]) -> None:
        await self.opened()
        # The event only says which document to look at: its current row decides, so the newest
        # state wins even when an older event arrives last.
        upserts, deletes = await index_docs(self.pool, [ev.document_id for ev in batch])
        if deletes:
            await self.engine.delete(deletes)
        if upserts:
            await self.engine.upsert(upserts)
        log.debug("projected", extra={"upserted": len(upserts), "deleted": len(deletes)})

    async def close(self) -> None:
        if self._opened:
            self._opened = False
            await self.engine.close()


class ReplicaProjector(SearchProjector):
    """The projector of one search replica: its own durable, created at the sequence its bootstrap noted."""

    start_after: int | None = None  # None: the durable already exists (or reads the stream from its start)

    def config(self, max_deliver: int, ack_wait_s: float, batch: int) -> ConsumerConfig:
        config = super().config(max_deliver, ack_wait_s, batch)
        if self.start_after is not None:
            config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = self.start_after + 1
        return config

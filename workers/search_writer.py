"""The search-index writer: one per index (per replica), elected among the consumers processes that run it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import asyncpg

from core.bus import Bus, Consumer
from core.errors import Upstream
from core.search import engine_for
from core.search.reindex import rebuild
from core.search.replica import consumer_name, marker_path, start
from core.search.tantivy_engine import TantivyEngine
from core.services import Services
from workers.elected import ElectedRunner, Prepare
from workers.projector import ReplicaProjector

log = logging.getLogger(__name__)
CLAIM_PROBE = "yiwang-writer-claim"  # an id no document has: deleting it takes the writer and changes nothing


async def claim_writer(projector: ReplicaProjector, *, retry_s: float = 0.5) -> None:
    """Open the engine and take its writer now, waiting while the previous leader still closes its own (a
    batch failing on a locked index would be retried until dead-lettered)."""
    await projector.opened()
    while True:
        try:
            await projector.engine.delete([CLAIM_PROBE])
            return
        except Upstream as exc:
            log.info("search index writer still held; waiting", extra={"error": exc.message})
            await asyncio.sleep(retry_s)


def writer_preparation(
    pool: asyncpg.Pool, bus: Bus, *, marker: Path | None, retry_s: float = 0.5, snapshot: Path | None = None
) -> Prepare:
    """What a new leader does before consuming: claim the writer and, for a replica (`marker` set), resume,
    replay or bootstrap its index (core.search.replica.start; from `snapshot` when it has none yet)."""

    async def prepare(consumer: Consumer[Any]) -> None:
        assert isinstance(consumer, ReplicaProjector)
        await claim_writer(consumer, retry_s=retry_s)
        if marker is None and isinstance(consumer.engine, TantivyEngine) and consumer.engine.rebuild_owed:
            log.warning("rebuilding the search index from Postgres (an older schema's index was set aside)")
            result = await rebuild(pool, consumer.engine)
            log.warning("search index rebuilt", extra={"indexed": result.indexed})
        if marker is not None:
            begin = await start(pool, bus, consumer.engine, consumer=consumer.name, marker=marker, snapshot=snapshot)
            consumer.start_after = begin.after

    return prepare


async def warm_analyser() -> None:
    """Load the text analyser's dictionaries in this process now, not in the first batch after a takeover."""
    from core.textzh.analyzer import get_analyzer

    await asyncio.to_thread(lambda: get_analyzer().index_terms("预热分词词典"))


def search_writer(services: Services, **runner_options: Any) -> ElectedRunner:
    """The consumers process's search projector, run only while this process holds its replica's lease."""
    settings = services.settings
    name = consumer_name(settings.search_replica_id)

    def make() -> ReplicaProjector:
        projector = ReplicaProjector(services.pool, engine_for(settings))
        projector.name = name
        return projector

    marker = marker_path(settings.data_dir) if settings.search_replica_id else None
    return ElectedRunner(
        bus=services.bus,
        dsn=settings.database_url or "",
        name=name,
        make=make,
        prepare=writer_preparation(
            services.pool, services.bus, marker=marker, snapshot=settings.search_replica_snapshot
        ),
        warm=warm_analyser,
        **runner_options,
    )

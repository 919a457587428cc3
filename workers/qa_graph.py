"""The service knowledge graph's scheduled rebuild as a job (core/qa/graph/store.rebuild)."""

from __future__ import annotations

import logging

from core.qa.graph.store import rebuild
from core.settings import Settings
from workers.runtime import opened

log = logging.getLogger(__name__)
WHOLE = "graph"  # the job's one key: the whole graph, not a site


async def rebuild_qa_graph(settings: Settings, scope: str = WHOLE) -> None:
    """Bring the whole graph in step with the live guides and policies; idempotent (unchanged guides change nothing)."""
    async with opened(settings, "qa-graph-rebuild", pool_size=2) as rt:
        summary = await rebuild(rt.pool)
    log.info("service graph rebuilt", extra={"scope": scope, **vars(summary)})

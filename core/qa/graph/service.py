"""The graph a process holds, kept in step with Postgres: `ask`'s first stop, and one service with its neighbours."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from core.errors import Invalid, NotFound
from core.qa.graph import store
from core.qa.graph.graph import ServiceGraph
from core.qa.graph.models import GraphNode, Neighbour, ServiceView
from core.qa.graph.resolve import default_variants
from core.qa.models import Reply, SessionContext

MAX_PAGE_SIZE = 100
MAX_SERVICE_WORDS = 200


@dataclass(frozen=True, kw_only=True)
class ServiceNeighbours:
    """A service, a page of its neighbours, and the other services its name may mean."""

    service: GraphNode
    neighbours: tuple[Neighbour, ...]
    total: int
    alternatives: tuple[GraphNode, ...] = ()


class GraphAnswerer:
    """Holds the service graph; every call first picks up changes any process made."""

    def __init__(self, pool: asyncpg.Pool, graph: ServiceGraph | None = None) -> None:
        self._pool = pool
        self.graph = graph if graph is not None else ServiceGraph(default_variants())  # an empty one is falsy
        self._lock = asyncio.Lock()

    async def refresh(self) -> int:
        """Reload the graph when its version moved (one cheap query when it did not); the version."""
        if await store.version(self._pool) == self.graph.version:
            return self.graph.version
        async with self._lock:
            views, version = await store.load(self._pool)
            if version != self.graph.version:
                await asyncio.to_thread(self.graph.load, views, version)
        return self.graph.version

    async def reply(
        self, question: str, context: SessionContext | None = None, has_pair: Callable[[str], bool] | None = None
    ) -> Reply | None:
        """The graph's reply to a materials / place / basis / comparison question about a known service."""
        await self.refresh()
        return self.graph.reply(question, context, has_pair)

    async def neighbours(self, service: str, *, page: int = 1, page_size: int = 20) -> ServiceNeighbours:
        """A service named by its id or its (spoken) name, with a page of its neighbours."""
        if not service.strip() or len(service) > MAX_SERVICE_WORDS:
            raise Invalid(f"service must be 1-{MAX_SERVICE_WORDS} characters")
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise Invalid(f"page must be at least 1 and pageSize 1-{MAX_PAGE_SIZE}")
        await self.refresh()
        view, others = self._find(service.strip())
        start = (page - 1) * page_size
        return ServiceNeighbours(
            service=view.node,
            neighbours=view.neighbours[start : start + page_size],
            total=len(view.neighbours),
            alternatives=others,
        )

    def _find(self, service: str) -> tuple[ServiceView, tuple[GraphNode, ...]]:
        exact = self.graph.get(service)
        if exact is not None:
            return exact, ()
        found = self.graph.resolve(service)
        best = found.found or (found.candidates[0] if found.candidates else None)
        if best is None:
            raise NotFound(f"no service in the service graph matches {service!r}")
        others = tuple(self.graph.get(m.id) for m in found.candidates if m.id != best.id)
        view = self.graph.get(best.id)
        assert view is not None
        return view, tuple(o.node for o in others if o is not None)

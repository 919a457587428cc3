"""The per-request context: the process's services, reached through typed properties, plus DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
import dramatiq
from strawberry.dataloader import DataLoader

from core.bus import Bus
from core.clock import Clock
from core.documents import Document, get_documents
from core.qa.service import QaService
from core.search.service import SearchService
from core.services import Services, need
from core.settings import Settings
from core.sites.service import Site, get_sites


@dataclass
class Context:
    """Strawberry context: resolvers reach every service as `info.context.<name>`, never through `services`."""

    services: Services
    request: Any = None
    response: Any = None
    sites: DataLoader[str, Site | None] = field(init=False)
    documents: DataLoader[str, Document | None] = field(init=False)

    def __post_init__(self) -> None:
        pool = self.services.pool

        async def load_sites(ids: list[str]) -> list[Site | None]:
            found = await get_sites(pool, ids)
            return [found.get(i) for i in ids]

        async def load_documents(ids: list[str]) -> list[Document | None]:
            found = await get_documents(pool, ids)
            return [found.get(i) for i in ids]

        self.sites = DataLoader(load_fn=load_sites)
        self.documents = DataLoader(load_fn=load_documents)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def pool(self) -> asyncpg.Pool:
        return self.services.pool

    @property
    def bus(self) -> Bus:
        return self.services.bus

    @property
    def broker(self) -> dramatiq.Broker:
        return need(self.services.broker, "a job broker")

    @property
    def search(self) -> SearchService:
        return need(self.services.search, "the search service")

    @property
    def qa(self) -> QaService:
        return need(self.services.qa, "the Q&A service")

    @property
    def clock(self) -> Clock:
        """What `now` is for monitoring and analytics (tests inject one through `open_services(clock=...)`)."""
        return self.services.clock

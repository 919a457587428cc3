"""The per-request context: shared clients from the app state plus DataLoaders built per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader

from core.bus import Bus
from core.documents import Document, get_documents
from core.settings import Settings
from core.sites.service import Site, get_sites


@dataclass
class Services:
    """What the API process opened in its lifespan; one instance per process."""

    settings: Settings
    pool: asyncpg.Pool
    bus: Bus
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Strawberry context: services, the request, and loaders that batch lookups within one request."""

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

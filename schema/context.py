"""The per-request context: the process's services, reached through typed properties, plus DataLoaders."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import dramatiq
from strawberry.dataloader import DataLoader

from core.analytics.live import HotQueryFeeds
from core.bus import Bus
from core.clock import Clock
from core.disclosure import Payments, funds_payments
from core.documents import Document, get_documents
from core.errors import Unauthenticated
from core.identity.auth import authenticate_bearer
from core.identity.principal import Principal
from core.monitoring.inventory import InventoryCache
from core.policy.queries import Related, explained_by_many, related_services
from core.qa.service import QaService
from core.search.service import SearchService
from core.services import Services, need
from core.settings import Settings
from core.sites.service import Site, get_sites

CLIENT_SCOPE_KEY = "yiwang.client"  # the client address the API's middleware settled on (proxies considered)


def token_of_connection(payload: dict[str, Any]) -> str | None:
    """The access token a websocket client sent in connection_init, however it was spelled."""
    headers = payload.get("headers")
    for where in (payload, headers if isinstance(headers, dict) else {}):
        for name, value in where.items():
            if not isinstance(value, str) or not value.strip():
                continue
            if name.lower() == "authorization":
                scheme, _, token = value.partition(" ")
                return token.strip() or None if scheme.lower() == "bearer" else None
            if name.lower() in ("token", "access_token", "accesstoken"):
                return value.strip()
    return None


@dataclass
class Shared:
    """What every request of one API process shares: caches, live feeds, subscriptions held per client."""

    inventory: InventoryCache
    hot_queries: HotQueryFeeds = field(default_factory=HotQueryFeeds)
    subscriptions: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, settings: Settings) -> Shared:
        return cls(inventory=InventoryCache(settings.inventory_cache_s))


@dataclass
class Context:
    """Strawberry context: resolvers reach every service as `info.context.<name>`, never through `services`."""

    services: Services
    request: Any = None
    response: Any = None
    shared: Shared | None = None  # the app's (see `app`); a context made alone gets its own
    subscriptions: int = 0  # open on this connection (a websocket's context lives as long as it)
    app: Shared = field(init=False)
    sites: DataLoader[str, Site | None] = field(init=False)
    documents: DataLoader[str, Document | None] = field(init=False)
    related_services: DataLoader[str, list[Related]] = field(init=False)
    interpretations: DataLoader[str, list[Related]] = field(init=False)  # of policies, e.g. under search hits
    fund_payments: DataLoader[UUID, Payments] = field(init=False)  # of fund projects: spent and spending
    bearer: str | None = None  # a websocket's token from connection_init (set by the subscription's handler)
    _principal: Principal | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        pool = self.services.pool
        self.app = self.shared or Shared.of(self.services.settings)

        async def load_sites(ids: list[str]) -> list[Site | None]:
            found = await get_sites(pool, ids)
            return [found.get(i) for i in ids]

        async def load_documents(ids: list[str]) -> list[Document | None]:
            found = await get_documents(pool, ids)
            return [found.get(i) for i in ids]

        async def load_related_services(ids: list[str]) -> list[list[Related]]:
            found = await related_services(pool, ids)
            return [found.get(i, []) for i in ids]

        async def load_interpretations(ids: list[str]) -> list[list[Related]]:
            found = await explained_by_many(pool, ids, "interpretation")
            return [found.get(i, []) for i in ids]

        async def load_fund_payments(ids: list[UUID]) -> list[Payments]:
            found = await funds_payments(pool=pool, fund_ids=ids)
            return [found[i] for i in ids]

        # A websocket's context lives as long as the socket: its loaders batch but keep nothing, or answers
        # would go stale and memory grow with every operation the socket runs.
        cache = (getattr(self.request, "scope", None) or {}).get("type") != "websocket"
        self.sites = DataLoader(load_fn=load_sites, cache=cache)
        self.documents = DataLoader(load_fn=load_documents, cache=cache)
        self.related_services = DataLoader(load_fn=load_related_services, cache=cache)
        self.interpretations = DataLoader(load_fn=load_interpretations, cache=cache)
        self.fund_payments = DataLoader(load_fn=load_fund_payments, cache=cache)

    @property
    def client(self) -> str:
        """The caller's address: as the API middleware resolved it, else the socket's peer."""
        scope = getattr(self.request, "scope", None) or {}
        if CLIENT_SCOPE_KEY in scope:
            return str(scope[CLIENT_SCOPE_KEY])
        return str(getattr(getattr(self.request, "client", None), "host", None) or "unknown")

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
    def connection_params(self) -> dict[str, Any] | None:
        """A websocket's connection_init payload as strawberry hands it over (kept for `bearer` only)."""
        return None

    @connection_params.setter
    def connection_params(self, payload: dict[str, Any] | None) -> None:
        # The user space (issue 13): {"Authorization": "Bearer …"}, {"token": "…"} or {"headers": {...}}.
        self.bearer = token_of_connection(payload or {})

    def bearer_token(self) -> str | None:
        """The token of `Authorization: Bearer <token>` (HTTP), or the one a websocket sent in connection_init."""
        if self.bearer:
            return self.bearer
        headers = getattr(self.request, "headers", None)
        scheme, _, token = (headers.get("authorization", "") if headers is not None else "").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    async def principal(self, *, fresh: bool = False) -> Principal | None:
        """Who calls: None when no token was sent; raises `Unauthenticated` for a token that is not valid.
        Verified once per HTTP request; a websocket's context (connection_init token) checks again each time, and
        `fresh=True` always does: a subscription over SSE or a header-authenticated websocket lives on one
        context, and an expired token or an ended session must stop it."""
        if self._principal is not None and self.bearer is None and not fresh:
            return self._principal
        token = self.bearer_token()
        if token is None:
            return None
        found = await authenticate_bearer(pool=self.pool, settings=self.settings, token=token, now=self.clock())
        self._principal = found
        return found

    async def signed_in(self, *, fresh: bool = False) -> Principal:
        """The caller, who must be signed in: `UNAUTHENTICATED` otherwise (`fresh`: verified again now)."""
        found = await self.principal(fresh=fresh)
        if found is None:
            raise Unauthenticated("sign in first: send Authorization: Bearer <access token> from the site group login")
        return found

    @property
    def clock(self) -> Clock:
        """What `now` is for monitoring and analytics (tests inject one through `open_services(clock=...)`)."""
        return self.services.clock

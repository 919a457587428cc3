"""Cross-origin access for the group's sites: one allow-list of origins for CORS and the subscription websocket.

The allow-list is CORS_ORIGINS: origins, and the word `sites` for the origins of every enabled site of the
group (its start URLs and allowed hosts, read from Postgres through core.sites and again every CORS_REFRESH_S).
No path sends `Access-Control-Allow-Credentials`: the API takes bearer tokens (`Authorization`), never
cookies, and the identity provider's cookie is only read on its own pages, which browsers navigate to.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from core.setting_values import SITES_ORIGINS, cors_origin_list, web_origin
from core.settings import Settings

log = logging.getLogger(__name__)
SiteConfigs = Callable[[], Awaitable[list[dict[str, Any]]]]
READ_TIMEOUT_S = 2.0  # a read of the sites' origins that takes longer is given up (the last list is kept)


@dataclass(frozen=True, kw_only=True)
class Policy:
    """What one family of paths lets a page on an allowed origin do."""

    paths: tuple[str, ...]  # exact paths, or prefixes ending in `/`
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()


# /graphql: queries (GET, POST), SSE subscriptions (POST, or GET for EventSource). Responses a page may read:
# ETag (persisted queries), X-Request-Id (to quote in a bug report), Retry-After (rate limits).
GRAPHQL = Policy(
    paths=("/graphql",),
    methods=("GET", "POST"),
    headers=("Authorization", "Content-Type", "X-Request-Id"),
    expose=("ETag", "X-Request-Id", "Retry-After"),
)
# What a browser app (a public OpenID Connect client with PKCE) fetches from the provider: discovery, keys,
# the token exchange, userinfo (bearer) and revocation; no credentials either. The authorize, login and
# logout pages are navigated to (they read the provider's session cookie) and get no CORS; introspection is
# for servers.
OIDC = Policy(
    paths=("/.well-known/", "/oidc/jwks", "/oidc/token", "/oidc/userinfo", "/oidc/revoke"),
    methods=("GET", "POST"),
    headers=("Authorization", "Content-Type"),
    expose=("X-Request-Id",),
)
POLICIES = (GRAPHQL, OIDC)


def site_origins(configs: Iterable[dict[str, Any]]) -> set[str]:
    """The origins of sites' configurations: each start URL's, and each allowed host under the schemes the
    site's start URLs use (a site on https://www.a.gov.cn allowing zwgk.a.gov.cn gives https://zwgk.a.gov.cn)."""
    found: set[str] = set()
    for config in configs:
        starts = [urlsplit(str(u)) for u in config.get("start_urls") or []]
        schemes = {s.scheme for s in starts if s.scheme}
        candidates = [f"{s.scheme}://{s.netloc}" for s in starts]
        candidates += [f"{scheme}://{host}" for host in config.get("allowed_hosts") or [] for scheme in schemes]
        found.update(o for o in map(web_origin, candidates) if o is not None)
    return found


class AllowedOrigins:
    """The allow-list: the configured origins, plus the sites' own when CORS_ORIGINS names `sites`."""

    def __init__(
        self, settings: Settings, sites: SiteConfigs | None = None, *, clock: Callable[[], float] = time.monotonic
    ):
        entries = cors_origin_list(settings.cors_origins)
        self.fixed = frozenset(e for e in entries if e != SITES_ORIGINS)
        self.sites = sites if SITES_ORIGINS in entries else None
        self.refresh_s = settings.cors_refresh_s
        self.clock = clock
        self._from_sites: frozenset[str] = frozenset()
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    def allows(self, origin: str | None) -> bool:
        normal = web_origin(origin) if origin else None
        return normal is not None and (normal in self.fixed or normal in self._from_sites)

    async def fresh(self) -> None:
        """Read the sites' origins again when they are older than CORS_REFRESH_S (one reader at a time, the
        others wait for it); a failed or slow read keeps the last list until the next refresh is due, so
        requests do not each wait on a database that is down."""
        if self.sites is None or not self._stale():
            return
        async with self._lock:
            if not self._stale():
                return
            try:
                configs = await asyncio.wait_for(self.sites(), timeout=READ_TIMEOUT_S)
                self._from_sites = frozenset(site_origins(configs))
            except Exception:
                log.warning("the sites' origins could not be read; the last list is kept", exc_info=True)
            self._read_at = self.clock()

    def _stale(self) -> bool:
        return self._read_at is None or self.clock() - self._read_at >= self.refresh_s


class _ListCORS(CORSMiddleware):
    """Starlette's CORS for one policy, asking the shared (refreshed) allow-list rather than a fixed one."""

    def __init__(self, app: ASGIApp, policy: Policy, origins: AllowedOrigins, max_age: int) -> None:
        super().__init__(
            app,
            allow_methods=policy.methods,
            allow_headers=policy.headers,
            expose_headers=policy.expose,
            allow_credentials=False,
            max_age=max_age,
        )
        self.origins = origins

    def is_allowed_origin(self, origin: str) -> bool:
        return self.origins.allows(origin)


class CrossOrigin:
    """CORS on the paths of POLICIES (preflights answered there, for any method the route has), nothing on
    others; the allow-list is refreshed before a /graphql websocket's Origin is checked (by the GraphQL view)."""

    def __init__(self, app: ASGIApp, origins: AllowedOrigins, *, max_age: int) -> None:
        self.app = app
        self.origins = origins
        self.by_path = [(path, _ListCORS(app, p, origins, max_age)) for p in POLICIES for path in p.paths]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        handler = next((h for known, h in self.by_path if _under(path, known)), None)
        if handler is None:
            await self.app(scope, receive, send)
            return
        await self.origins.fresh()
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await handler(scope, receive, send)


def _under(path: str, prefix: str) -> bool:
    """`/graphql` is one path; a prefix ending in `/` (`/.well-known/`) covers what is below it."""
    return path.startswith(prefix) if prefix.endswith("/") else path == prefix

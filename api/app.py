"""The ASGI app: /graphql (HTTP and websockets), /healthz, /readyz, /metrics, opened in one lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from api.beacon import beacon_routes
from api.ckan import ckan_routes
from api.cors import AllowedOrigins, CrossOrigin
from api.dcat import dcat_routes
from api.disclosure import disclosure_routes
from api.graphql_view import FrontendGraphQL
from api.halls import hall_routes
from api.metrics import Endpoint, Metrics, MetricsMiddleware, metrics_server
from api.oidc import ROUTES as OIDC_ROUTES
from api.oidc_upstream import upstream_routes
from api.pages import mount_pages
from api.pages.gql import Gateway
from api.ratelimit import RateLimitMiddleware
from api.sse import for_stream
from api.text_guard import NulGuard
from core.clock import Clock, system_clock
from core.identity.keys import prepare_at_rest as prepare_keys_at_rest
from core.logs import request_id
from core.services import Services, open_services
from core.settings import Settings
from core.sites import site_configs
from schema import build_schema
from schema.context import Context, Shared

log = logging.getLogger(__name__)
API_POOL_SIZE = 20
CHECK_TIMEOUT_S = 2.0
REQUEST_ID = re.compile(rb"[A-Za-z0-9-]{1,64}")
REJECTED_ID_SHOWN = 80  # bytes of a rejected X-Request-Id kept in the log line


class YiwangGraphQL(FrontendGraphQL):
    """Strawberry's ASGI app with our per-request context (persisted queries, SSE, origins: api/graphql_view)."""

    def __init__(self, app: Starlette, settings: Settings, origins: AllowedOrigins) -> None:
        super().__init__(
            build_schema(settings),
            settings=settings,
            origins=origins,
            graphql_ide="graphiql" if settings.graphql_ide else None,  # GRAPHQL_IDE=false in production
        )
        self.app = app
        self.shared = Shared.of(settings)  # caches, live feeds and subscription counts of this process

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        context = Context(services=self.app.state.services, request=request, response=response, shared=self.shared)
        return for_stream(context)  # an SSE request's loaders cache nothing, as a websocket's


class RequestIdMiddleware:
    """Binds a request id to logs and echoes it in the response: the client's X-Request-Id when it is 1-64
    letters, digits or dashes, else one made here (a rejected value is logged beside it, escaped and cut)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope.get("headers") or [] if k == b"x-request-id"), None)
        accepted = incoming is not None and REQUEST_ID.fullmatch(incoming) is not None
        rid = incoming.decode("ascii") if incoming is not None and accepted else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        if incoming is not None and not accepted:
            # Escaped bytes: no control or non-ASCII byte reaches a log line.
            shown = repr(incoming[:REJECTED_ID_SHOWN])[2:-1]
            log.warning("X-Request-Id rejected; a server-made id is used", extra={"rejected_request_id": shown})

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            request_id.reset(token)


async def _passes(check: Awaitable[object]) -> bool:
    """A readiness check that answers true in time; an error or a timeout is a failed check."""
    try:
        return bool(await asyncio.wait_for(check, timeout=CHECK_TIMEOUT_S))
    except Exception:
        return False


async def readiness(services: Services) -> dict[str, bool]:
    """Whether each backend answers: Postgres, NATS and the search engine the process opened."""
    checks = {
        "postgres": await _passes(services.pool.fetchval("select true")),
        "nats": services.bus.connected,
    }
    if services.engine is not None:
        checks["search"] = await _passes(services.engine.health())
    return checks


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    checks = await readiness(request.app.state.services)
    ok = all(checks.values())
    body = {"status": "ready" if ok else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


def _lifespan(
    settings: Settings, clock: Clock, metrics: Endpoint
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # A search reader only: the consumers process holds the one index writer.
        async with open_services(
            settings,
            name="api",
            pool_size=API_POOL_SIZE,
            broker=True,
            engine="required",
            search=True,
            qa=True,
            clock=clock,
        ) as services:
            await services.bus.ensure_streams()
            # seal signing keys kept in the clear, check the secret opens the sealed ones (docs/identity.md)
            await prepare_keys_at_rest(services.pool, settings, services.clock())
            app.state.services = services
            log.info("api ready", extra={"graphql": f"http://{settings.host}:{settings.port}/graphql"})
            if not settings.metrics_port:
                yield
                return
            async with metrics_server(metrics, host=settings.host, port=settings.metrics_port):
                yield

    return lifespan


def create_app(settings: Settings, *, clock: Clock = system_clock) -> ASGIApp:
    """The app over services opened in its lifespan; `clock` is what monitoring and analytics take as now."""
    metrics = Metrics(cache_s=settings.metrics_cache_s)

    async def metrics_endpoint(request: Request) -> Response:
        await metrics.refresh(app.state.services)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    app = Starlette(lifespan=_lifespan(settings, clock, metrics_endpoint))
    # CORS_ORIGINS, with `sites`: every enabled site's own origins, read again every CORS_REFRESH_S
    origins = AllowedOrigins(settings, sites=lambda: site_configs(app.state.services.pool))
    graphql = YiwangGraphQL(app, settings, origins)
    app.router.routes.extend(
        [
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ]
    )
    # the OpenID Connect provider (api/oidc.py, docs/identity.md), before the portal's routes: the token endpoint
    # is the busiest route after /graphql, and each route tried before it costs a regex match
    app.router.routes.extend(OIDC_ROUTES)
    mount_pages(app, Gateway(schema=graphql.schema, shared=graphql.shared))  # the portal (api/pages)
    app.router.routes.extend(upstream_routes(settings))  # federation (docs/identity.md, "Upstream federation")
    app.router.routes.extend(hall_routes())  # 3D service halls: GLBs, case files, viewer (docs/halls.md)
    app.router.routes.extend(disclosure_routes())  # grassroots disclosure: vouchers, item pages (docs/disclosure.md)
    app.router.routes.extend(ckan_routes())  # open data: CKAN Action API, datastore dumps (docs/opendata.md)
    app.router.routes.extend(dcat_routes())  # open data: DCAT-AP catalogue and datasets (docs/opendata.md)
    app.router.routes.extend(beacon_routes(settings))  # page views for analytics (docs/analytics.md)
    if not settings.metrics_port:  # else only on METRICS_PORT, which the lifespan serves
        app.router.routes.append(Route("/metrics", metrics_endpoint))
    limited = RateLimitMiddleware(NulGuard(app), settings)
    # CORS outside the rate limit: a 429 carries Access-Control-Allow-Origin, so a page can read Retry-After
    return RequestIdMiddleware(
        MetricsMiddleware(CrossOrigin(limited, origins, max_age=settings.cors_max_age_s), metrics)
    )

"""The ASGI app: /graphql (HTTP and websockets), /healthz, /readyz, /metrics, opened in one lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from api.metrics import Metrics, MetricsMiddleware
from core.bus import Bus
from core.db import connect_pool
from core.jobs import build_broker
from core.logs import request_id
from core.search import engine_for
from core.settings import Settings
from schema import build_schema
from schema.context import Context, Services

log = logging.getLogger(__name__)


class YiwangGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with our per-request context."""

    def __init__(self, app: Starlette, settings: Settings) -> None:
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        )
        self.app = app

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        return Context(services=self.app.state.services, request=request, response=response)


class RequestIdMiddleware:
    """Binds a request id (taken from X-Request-Id or made up) to logs and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode()[:64]
        rid = incoming or uuid.uuid4().hex[:16]
        token = request_id.set(rid)

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            request_id.reset(token)


def create_app(settings: Settings) -> ASGIApp:
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await connect_pool(settings, max_size=20)
        bus = await Bus(settings, name="api").connect()
        await bus.ensure_streams()
        services = Services(settings=settings, pool=pool, bus=bus)
        services.extras["broker"] = build_broker(settings)
        engine = engine_for(settings)
        await engine.open()  # a reader: the consumers process holds the one writer
        services.extras["search"] = engine
        app.state.services = services
        log.info("api ready", extra={"graphql": f"http://{settings.host}:{settings.port}/graphql"})
        try:
            yield
        finally:
            search_service = services.extras.get("search_service")
            if search_service is not None:  # made by the first search; flushes popular-query counts
                await search_service.close()
            await engine.close()
            await bus.close()
            await pool.close()
            services.extras["broker"].close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        services: Services = request.app.state.services
        checks: dict[str, bool] = {}
        try:
            checks["postgres"] = await asyncio.wait_for(services.pool.fetchval("select true"), timeout=2) is True
        except Exception:
            checks["postgres"] = False
        checks["nats"] = services.bus.connected
        engine = services.extras.get("search")
        if engine is not None:
            try:
                checks["search"] = bool(await asyncio.wait_for(engine.health(), timeout=2))
            except Exception:
                checks["search"] = False
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
        )

    async def metrics_endpoint(request: Request) -> Response:
        await metrics.refresh(request.app.state.services)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    app = Starlette(lifespan=lifespan)
    graphql = YiwangGraphQL(app, settings)
    app.router.routes.extend([
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ])  # fmt: skip
    return RequestIdMiddleware(MetricsMiddleware(app, metrics))

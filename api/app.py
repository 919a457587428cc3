"""The ASGI app: /graphql (HTTP and websockets), /healthz, /readyz, /metrics, opened in one lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from api.metrics import Metrics, MetricsMiddleware
from core.clock import Clock, system_clock
from core.logs import request_id
from core.services import Services, open_services
from core.settings import Settings
from schema import build_schema
from schema.context import Context

log = logging.getLogger(__name__)
API_POOL_SIZE = 20
CHECK_TIMEOUT_S = 2.0


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


def _lifespan(settings: Settings, clock: Clock) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
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
            app.state.services = services
            log.info("api ready", extra={"graphql": f"http://{settings.host}:{settings.port}/graphql"})
            yield

    return lifespan


def create_app(settings: Settings, *, clock: Clock = system_clock) -> ASGIApp:
    """The app over services opened in its lifespan; `clock` is what monitoring and analytics take as now."""
    metrics = Metrics()

    async def metrics_endpoint(request: Request) -> Response:
        await metrics.refresh(request.app.state.services)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    app = Starlette(lifespan=_lifespan(settings, clock))
    graphql = YiwangGraphQL(app, settings)
    app.router.routes.extend(
        [
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ]
    )
    return RequestIdMiddleware(MetricsMiddleware(app, metrics))

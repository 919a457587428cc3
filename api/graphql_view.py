"""Strawberry's ASGI view with what frontends on other origins need: persisted queries, cached GET answers of
public queries, GraphQL over SSE, and the CORS allow-list applied to the subscription websocket's Origin."""

from __future__ import annotations

import dataclasses
from collections.abc import MutableMapping
from typing import Any

import strawberry
from cross_web import AsyncHTTPRequestAdapter, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api import apq
from api.cors import AllowedOrigins
from api.sse import SUBSCRIPTION_PROTOCOLS
from api.ws_handlers import LegacyWSHandler, TransportWSHandler
from core.settings import Settings
from schema.context import Context

OPERATION_KEY = "yiwang.graphql"  # scope key: (query, operation name, persisted) of the request being run


class _Adapter(StarletteRequestAdapter):
    """Starlette's request adapter, with the request's scope reachable (to note what was run on it)."""

    @property
    def scope(self) -> MutableMapping[str, Any]:
        return self._request.scope


class FrontendGraphQL(GraphQL[Context, None]):
    """GET/POST/SSE/websocket GraphQL for browsers on the allow-listed origins."""

    request_adapter_class = _Adapter
    schema: strawberry.Schema
    # a subscriber gone mid-send is an INFO line, not an ERROR with a traceback (api/ws_handlers.py)
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self, schema: strawberry.Schema, *, settings: Settings, origins: AllowedOrigins, graphql_ide: str | None
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=graphql_ide,  # type: ignore[arg-type]
            subscription_protocols=SUBSCRIPTION_PROTOCOLS,
        )
        self.origins = origins
        self.persisted = apq.PersistedQueries.of(settings)
        self.get_max_age = settings.graphql_get_max_age_s

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        return self.origins.allows(origin)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # a GET with a persisted query's hash and no query text is an operation, not a visit to GraphiQL
        return "extensions" not in request.query_params and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return data
        fields: dict[str, Any] = {"query": data.query, "extensions": data.extensions}
        persisted = apq.resolve(fields, self.persisted)
        if persisted is not None:
            data = dataclasses.replace(data, query=str(fields["query"]))
        if isinstance(request, _Adapter):
            request.scope[OPERATION_KEY] = (data.query, data.operation_name, persisted)
        return data

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        result = await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )
        noted = request.scope.get(OPERATION_KEY)
        persisted = noted[2] if noted else None
        # stored once it ran: it passed the parse, depth, alias, token and cost limits (they apply again each run)
        if persisted is not None and persisted.sent and result.data is not None and request_data.query:
            self.persisted.put(persisted.digest, request_data.query)
        return result

    async def run(self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            response = await super().run(request, context, root_value)
        except apq.PersistedQueryError as refused:
            return refused.response()
        if isinstance(request, Request) and request.method == "GET" and isinstance(response, Response):
            return self._http_cached(request, response)
        return response

    def _http_cached(self, request: Request, response: Response) -> Response:
        """ETag and Cache-Control on a public query's answer; `no-store` on any other GET answer."""
        if isinstance(response, StreamingResponse) or response.media_type != "application/json":
            return response  # GraphiQL, or an event stream (no-cache already)
        noted = request.scope.get(OPERATION_KEY)
        public = (
            noted is not None
            and response.status_code == 200
            and "authorization" not in request.headers
            and bool(noted[0])
            and apq.cacheable_operation(noted[0], noted[1])
            and not apq.errors_in(bytes(response.body))
        )
        if not public:
            response.headers["Cache-Control"] = "no-store"
            return response
        return apq.cached_get(response, if_none_match=request.headers.get("if-none-match"), max_age=self.get_max_age)

"""Strawberry's subscription websocket handlers, except that a subscriber gone while an event is sent to it (a tab
closed, a network dropped) is one INFO line, not an ERROR with a traceback; anything else stays an ERROR."""

from __future__ import annotations

import logging

from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from core.errors import caused_by
from schema.context import Context

log = logging.getLogger(__name__)
GONE = (WebSocketDisconnected, WebSocketDisconnect)  # strawberry's word for it, and Starlette's under it


def client_gone(error: BaseException) -> bool:
    """Whether `error` (or what caused it) says the client's socket closed or dropped, not that our code failed."""
    return caused_by(error, GONE)


def _gone(protocol: str, error: BaseException) -> None:
    log.info("subscriber gone mid-send", extra={"protocol": protocol, "error": type(error).__name__})


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws (graphql-ws on npm): its operation tasks report failures through here."""

    async def handle_task_exception(self, error: Exception) -> None:
        if client_gone(error):
            _gone("graphql-transport-ws", error)
            return
        await super().handle_task_exception(error)  # strawberry.ws.task, ERROR with the traceback


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """graphql-ws (subscriptions-transport-ws): an operation task's failure was left for asyncio to report when
    the task was collected ("Task exception was never retrieved"); here it is logged once, when it happens."""

    async def handle_async_results(
        self, operation_id: str, query: str, operation_name: str | None, variables: dict[str, object] | None
    ) -> None:
        try:
            await super().handle_async_results(operation_id, query, operation_name, variables)
        except Exception as error:
            if not client_gone(error):
                log.exception("subscription failed", extra={"protocol": "graphql-ws"})
                return
            _gone("graphql-ws", error)

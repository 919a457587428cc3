"""GraphQL over Server-Sent Events (the `graphql-sse` protocol, distinct connections mode), for where proxies
block websockets.

A POST (or, for `EventSource`, a GET) to /graphql with `Accept: text/event-stream` runs the operation and
streams `event: next` with each result, then `event: complete`. Strawberry's SSE transport speaks the
protocol; what is ours is that a stream goes through the same gates as a websocket operation: the request
takes a rate-limit token (api.ratelimit), the subscription counts against MAX_SUBSCRIPTIONS_PER_CLIENT until
the stream ends or the client goes away (schema.subscriptions), and its DataLoaders keep nothing between
events, as a websocket's do.
"""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from schema.context import Context

SUBSCRIPTION_PROTOCOLS = (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL)
EVENT_STREAM = "text/event-stream"


def is_event_stream(request: Any) -> bool:
    """Whether an HTTP request asks for an event stream (the view then answers it over SSE)."""
    headers = getattr(request, "headers", None)
    if headers is None or getattr(request, "scope", {}).get("type") != "http":
        return False
    accept = str(headers.get("accept", ""))
    return any(part.split(";", 1)[0].strip().lower() == EVENT_STREAM for part in accept.split(","))


def for_stream(context: Context) -> Context:
    """The context of an SSE request lives as long as its stream: like a websocket's, its loaders batch but
    cache nothing, or answers would go stale and memory grow with every event."""
    if is_event_stream(context.request):
        for loader in vars(context).values():
            if isinstance(loader, DataLoader):
                loader.cache = False
    return context

"""Live subscriptions: caps (so many per websocket connection and per client address), and an executor that keeps
nothing of the events a held subscription has delivered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import Executor
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.graphql import OperationType

from core.errors import Invalid
from schema.context import Context


class LiveExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, except that each event of a subscription gets a subfield memo of its own.

    graphql-core 3.3 runs each event on a shallow copy of the subscription's executor, so all its events share one
    memo, keyed by the id of a field list made anew for each event and holding that list: every event delivered
    stayed there (some 15 objects, ~1.5 KB) until the subscription ended. The soak's 50 subscribers grew the web ~10 MB
    a crawl burst (issue 19; `python -m ops.bench.live_memory`)."""

    def build_per_event_executor(self, payload: Any) -> Executor:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor


class TooManySubscriptions(Invalid):
    """A connection or a client already holds as many subscriptions as it may."""

    code = "TOO_MANY_SUBSCRIPTIONS"


class SubscriptionCaps(SchemaExtension):
    """Counts a subscription from its start (before it runs) to its end, on its connection and its client."""

    def __init__(self, per_connection: int, per_client: int) -> None:
        self.per_connection = per_connection
        self.per_client = per_client
        self.held: tuple[Context, str] | None = None

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:  # a subscription's operation lasts until its stream ends
            if self.held is not None:
                context, client = self.held
                context.subscriptions -= 1
                context.app.subscriptions[client] -= 1
                if context.app.subscriptions[client] <= 0:
                    del context.app.subscriptions[client]
                self.held = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION and isinstance(context, Context):
            self._take(context)
        yield

    def _take(self, context: Context) -> None:
        client = context.client
        if context.subscriptions >= self.per_connection:
            raise TooManySubscriptions(
                f"this connection already holds {context.subscriptions} subscriptions, the most one may"
                f" (MAX_SUBSCRIPTIONS_PER_CONNECTION={self.per_connection}): complete one first"
            )
        if context.app.subscriptions[client] >= self.per_client:
            raise TooManySubscriptions(
                f"your address already holds {context.app.subscriptions[client]} subscriptions, the most one may"
                f" (MAX_SUBSCRIPTIONS_PER_CLIENT={self.per_client}): close some first"
            )
        context.subscriptions += 1
        context.app.subscriptions[client] += 1
        self.held = (context, client)

"""Caps on live subscriptions: so many per websocket connection and so many per client address."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.errors import Invalid
from schema.context import Context


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

"""Pages read through the public GraphQL schema, run in this process: the same query text a frontend sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from starlette.requests import Request

from schema.context import Context, Shared


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What one operation returned: its data (partial when a field failed) and the errors' messages and codes."""

    data: dict[str, Any]
    errors: tuple[tuple[str, str], ...] = ()

    def code(self) -> str | None:
        return self.errors[0][1] if self.errors else None


@dataclass(frozen=True, kw_only=True)
class Gateway:
    """The app's schema and per-process state; `run` executes an operation for a page's request.

    Every extension of the schema applies (token, depth, alias and cost limits, coded errors), and the request
    already passed the API's rate limit like any client's; the context is the one `/graphql` builds."""

    schema: strawberry.Schema
    shared: Shared

    async def run(
        self, request: Request, query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None
    ) -> Answer:
        """`bearer`: the signed-in person's access token (the user space), verified as any client's would be."""
        context = Context(services=request.app.state.services, request=request, shared=self.shared, bearer=bearer)
        result = await self.schema.execute(query, variable_values=variables, context_value=context)
        errors = tuple((e.message, str((e.extensions or {}).get("code", "INTERNAL"))) for e in result.errors or [])
        return Answer(data=dict(result.data or {}), errors=errors)


def gateway(request: Request) -> Gateway:
    pages: Gateway = request.app.state.pages
    return pages

"""Text a client sends may not hold a NUL character (U+0000): Postgres cannot store or compare it (`invalid byte
sequence for encoding "UTF8": 0x00`), so an id, URL or query holding one ended as INTERNAL. Refused as BAD_INPUT
before anything runs, whether it comes in a variable or as a `"\\u0000"` escape in the query text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.errors import Invalid
from core.textzh.charsets import NUL, NUL_REFUSAL, holds_nul


class _Literals(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found = self.found or NUL in node.value


class NoNulText(SchemaExtension):
    """Refuses an operation whose variables or string literals hold a NUL, as QueryCost refuses: before it runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        literals = _Literals()
        if context.graphql_document is not None:
            visit(context.graphql_document, literals)
        if literals.found or holds_nul(context.variables or {}):
            if context.operation_type is OperationType.SUBSCRIPTION:
                raise Invalid(NUL_REFUSAL)
            refusal = GraphQLError(NUL_REFUSAL, extensions={"code": Invalid.code})
            context.result = ExecutionResult(data=None, errors=[refusal])
        yield

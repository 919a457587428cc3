"""Every GraphQL error carries a code; a client's mistake is one log line, our own fault a logged traceback."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from core.db import unavailable
from core.errors import Upstream, YiwangError

log = logging.getLogger(__name__)
DATABASE_AWAY = "The database is unavailable for a moment; try again shortly."
MESSAGE_CHARS = 1000
_ERROR_ID = "_yiwang_error_id"  # set on an unexpected exception once it is logged, so it is logged once


def client_code(error: GraphQLError) -> str | None:
    """The code of an error the client caused (bad syntax, validation, a `core.errors` family); None for ours."""
    original = error.original_error
    if original is None:  # parse and validation errors: the client's mistake, safe to show
        return str((error.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED")
    if isinstance(original, GraphQLError):  # a variable the schema cannot take: graphql-core's coercion error
        return _coercion_code(original)
    if isinstance(original, YiwangError):
        return original.code
    if unavailable(original):  # Postgres down or restarting: the client may retry (docs/operations.md)
        return Upstream.code
    return None


def _coercion_code(error: GraphQLError) -> str | None:
    """A value the client sent that does not fit its type (an Int past 32 bits, no value for a required one, a
    scalar that does not parse): BAD_INPUT, or the code of the `core.errors` family a scalar raised. A scalar
    failing in another way is our fault."""
    inner = error.original_error
    while isinstance(inner, GraphQLError):
        error, inner = inner, inner.original_error
    if isinstance(inner, YiwangError):
        return inner.code
    if inner is None or isinstance(inner, (ValueError, TypeError)):  # how a scalar says "does not parse"
        return str((error.extensions or {}).get("code") or "BAD_INPUT")
    return None


def shown(message: str) -> str:
    """A message as the client sees it: one that quotes what the client sent (`no dataset '…'`) is cut at
    MESSAGE_CHARS, so a 100 kB id is not sent back whole."""
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"


def log_internal(original: BaseException) -> str:
    """Log an unexpected exception with its traceback (once) and return the id the client is shown."""
    error_id = getattr(original, _ERROR_ID, None)
    if error_id is None:
        error_id = uuid.uuid4().hex[:12]
        log.error("internal error in resolver", exc_info=original, extra={"error_id": error_id})
        setattr(original, _ERROR_ID, error_id)
    return str(error_id)


class CodedSchema(strawberry.Schema):
    """strawberry's schema, except for how errors are logged: strawberry logs every error at ERROR with a
    traceback (`strawberry.execution`); here a client's mistake is one INFO line with its code."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            code = client_code(error)
            if code is None and error.original_error is not None:
                log_internal(error.original_error)
                continue
            fields: dict[str, Any] = {"code": code, "error": error.message}
            if error.path:
                fields["path"] = ".".join(str(p) for p in error.path)
            if execution_context is not None and execution_context.operation_name:
                fields["operation"] = execution_context.operation_name
            level = logging.WARNING if code == Upstream.code else logging.INFO  # a backend away is ours to see
            log.log(level, "graphql error %s", code, extra=fields)


class CodedErrors(MaskErrors):
    """Our errors keep their message and get `extensions.code`; anything else becomes INTERNAL with an id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        code = client_code(error)
        if code is None:
            error_id = log_internal(error.original_error or error)
            code, message = "INTERNAL", f"Internal error (id {error_id}); it has been logged."
        elif isinstance(error.original_error, YiwangError):
            message = shown(error.original_error.message)
        elif code == Upstream.code:  # the database is away: say so, without its address or driver's words
            message = DATABASE_AWAY
        else:
            message = error.message
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": code},
        )

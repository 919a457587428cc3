"""Every GraphQL error carries a code; unexpected errors are logged and masked, never shown as a trace."""

from __future__ import annotations

import logging
import uuid

from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from core.errors import YiwangError

log = logging.getLogger(__name__)


class CodedErrors(MaskErrors):
    """Our errors keep their message and get `extensions.code`; anything else becomes INTERNAL with an id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None:  # parse and validation errors: the client's mistake, safe to show
            code, message = "GRAPHQL_VALIDATION_FAILED", error.message
            if (error.extensions or {}).get("code"):
                code = str(error.extensions["code"])  # type: ignore[index]
        elif isinstance(original, YiwangError):
            code, message = original.code, original.message
        else:
            error_id = uuid.uuid4().hex[:12]
            log.error("internal error in resolver", exc_info=original, extra={"error_id": error_id})
            code, message = "INTERNAL", f"Internal error (id {error_id}); it has been logged."
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": code},
        )

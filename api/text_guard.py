"""Requests whose path or query string holds a NUL character (%00) are refused before any route reads them:
Postgres cannot take the text (the CKAN API, DCAT, dumps and pages answered 500 or 502)."""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from core.textzh.charsets import NUL_REFUSAL


class NulGuard:
    """A 400 (409 in the CKAN API's envelope, a GraphQL error on /graphql) for a NUL in the path or query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and _holds_nul(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            status, body = _refusal(scope["path"])
            headers = [(b"content-type", b"application/json; charset=utf-8")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()})
            return
        await self.app(scope, receive, send)


def _holds_nul(scope: Scope) -> bool:
    return "\x00" in scope.get("path", "") or b"\x00" in unquote_to_bytes(scope.get("query_string", b""))


def _refusal(path: str) -> tuple[int, object]:
    if path.startswith(("/api/3/action/", "/api/action/")):
        return 409, {"success": False, "error": {"__type": "Validation Error", "message": NUL_REFUSAL}}
    if path.startswith("/graphql"):
        return 400, {"data": None, "errors": [{"message": NUL_REFUSAL, "extensions": {"code": "BAD_INPUT"}}]}
    return 400, {"error": "BAD_INPUT", "message": NUL_REFUSAL}

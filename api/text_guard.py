"""Requests holding a NUL character (U+0000) in the path, the query string or a form or JSON body are refused
before any route reads them: Postgres cannot take the text (the CKAN API, DCAT, dumps, pages and the OpenID token
endpoint answered 500 or 502)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.textzh.charsets import NUL_REFUSAL

CHECKED_BODY_BYTES = 1 << 20  # form and JSON bodies up to this size are read here first; larger ones pass on
_FORM, _JSON = b"application/x-www-form-urlencoded", b"application/json"


class NulGuard:
    """A 400 (409 in the CKAN API's envelope, a GraphQL error on /graphql) for a NUL in the path, the query, or a
    form or JSON body; the body read to check it is handed on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and _in_target(scope):
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _in_target(scope):
            await _refuse(scope, send)
            return
        kind = _checked_body(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        messages, body = await _read_body(receive)
        escaped = b"%00" if kind == _FORM else b"\\u0000"  # how each writes a NUL it holds
        if b"\x00" in body or escaped in body:
            await _refuse(scope, send)
            return
        pending = list(messages)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)


def _in_target(scope: Scope) -> bool:
    return "\x00" in scope.get("path", "") or b"\x00" in unquote_to_bytes(scope.get("query_string", b""))


def _checked_body(scope: Scope) -> bytes | None:
    """The body's type when it is a form or JSON of a known size within CHECKED_BODY_BYTES, else None."""
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length", b"")
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    small = length.isdigit() and int(length) <= CHECKED_BODY_BYTES
    return kind if kind in (_FORM, _JSON) and small else None


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    messages, parts = [], []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return messages, b"".join(parts)


async def _refuse(scope: Scope, send: Send) -> None:
    status, body = _refusal(scope["path"])
    headers = [(b"content-type", b"application/json; charset=utf-8")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()})


def _refusal(path: str) -> tuple[int, Any]:
    if path.startswith(("/api/3/action/", "/api/action/")):
        return 409, {"success": False, "error": {"__type": "Validation Error", "message": NUL_REFUSAL}}
    if path.startswith("/graphql"):
        return 400, {"data": None, "errors": [{"message": NUL_REFUSAL, "extensions": {"code": "BAD_INPUT"}}]}
    return 400, {"error": "BAD_INPUT", "message": NUL_REFUSAL}

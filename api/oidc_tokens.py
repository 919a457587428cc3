"""The OpenID Connect provider's machine endpoints: token, userinfo, revocation and introspection (thin routes over
core.identity; docs/identity.md). Bodies are urlencoded forms (RFC 6749 §3.2); clients authenticate with
client_secret_basic, client_secret_post or, public ones, by naming themselves."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.errors import Unauthenticated
from core.identity import provider, token_admin
from core.identity.clients import authenticate_client
from core.identity.oauth import OAuthError
from core.services import Services
from core.settings import Settings

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 50


def _services(request: Request) -> tuple[Services, Settings, datetime]:
    services: Services = request.app.state.services
    return services, services.settings, services.clock()


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", status=401)
    return unquote_plus(client_id), unquote_plus(secret)


async def _client(request: Request, fields: dict[str, str], *, confidential_only: bool = False) -> Any:
    services, _, _ = _services(request)
    basic = _basic(request)
    if basic and ("client_secret" in fields or fields.get("client_id", basic[0]) != basic[0]):
        raise OAuthError("invalid_request", "use one client authentication method")
    client_id, secret = basic or (fields.get("client_id"), fields.get("client_secret"))
    return await authenticate_client(
        pool=services.pool, client_id=client_id, secret=secret, confidential_only=confidential_only
    )


def _oauth_error(exc: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="yiwang"'
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    """The body's parameters. OAuth bodies are urlencoded (RFC 6749 §3.2): those are parsed here, several times
    faster than the general multipart-capable form parser, which still reads any other body."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        form = await request.form()
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise OAuthError("invalid_request", f"the request body is over {MAX_FORM_BYTES} bytes")
    try:
        return parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the request body is not a valid form") from None


async def _form(request: Request) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in await _form_pairs(request):
        if key in fields:
            raise OAuthError("invalid_request", f"parameter {key} given more than once")
        fields[key] = value
    return fields


_NEEDS = {"authorization_code": ("code",), "refresh_token": ("refresh_token",)}


async def token(request: Request) -> Response:
    services, settings, now = _services(request)
    try:
        fields = await _form(request)
        client = await _client(request, fields)
        grant = fields.get("grant_type")
        for needed in ("grant_type", *_NEEDS.get(grant or "", ())):  # RFC 6749 §5.2: a missing one is invalid_request
            if not fields.get(needed):
                raise OAuthError("invalid_request", f"{needed} is required")
        if grant == "authorization_code":
            body = await provider.exchange_code(
                pool=services.pool,
                settings=settings,
                client=client,
                code=fields.get("code"),
                redirect_uri=fields.get("redirect_uri"),
                code_verifier=fields.get("code_verifier"),
                now=now,
            )
        elif grant == "refresh_token":
            body = await provider.refresh_tokens(
                pool=services.pool,
                settings=settings,
                client=client,
                refresh_token=fields.get("refresh_token"),
                scope=fields.get("scope"),
                now=now,
            )
        else:
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
    except OAuthError as exc:
        return _oauth_error(exc)
    return JSONResponse(body, headers=NO_STORE)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def userinfo(request: Request) -> Response:
    services, settings, now = _services(request)
    bearer = _bearer(request)
    try:
        if bearer is None:
            raise Unauthenticated("an access token is required (Authorization: Bearer)")
        claims = await token_admin.userinfo(pool=services.pool, settings=settings, token=bearer, now=now)
    except Unauthenticated as exc:
        challenge = f'Bearer error="invalid_token", error_description="{exc.message}"'
        body = {"error": "invalid_token", "error_description": exc.message}
        return JSONResponse(body, status_code=401, headers=NO_STORE | {"WWW-Authenticate": challenge})
    return JSONResponse(claims, headers=NO_STORE)


async def revoke(request: Request) -> Response:
    services, settings, now = _services(request)
    try:
        fields = await _form(request)
        client = await _client(request, fields)
        if not fields.get("token"):
            raise OAuthError("invalid_request", "token is required")
    except OAuthError as exc:
        return _oauth_error(exc)
    await token_admin.revoke(pool=services.pool, settings=settings, client=client, token=fields["token"], now=now)
    return Response(status_code=200, headers=NO_STORE)


async def introspect(request: Request) -> Response:
    services, settings, now = _services(request)
    try:
        fields = await _form(request)
        await _client(request, fields, confidential_only=True)
        if not fields.get("token"):
            raise OAuthError("invalid_request", "token is required")
    except OAuthError as exc:
        return _oauth_error(exc)
    body = await token_admin.introspect(pool=services.pool, settings=settings, token=fields["token"], now=now)
    return JSONResponse(body, headers=NO_STORE)

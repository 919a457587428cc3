"""The authorization endpoint's logic: checking an authorization request (the client, its exact redirect URI,
PKCE S256 — required for public clients, `plain` refused) and issuing a code for a signed-in session."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg

from core.identity import session_store
from core.identity.clients import get_client
from core.identity.models import Client, Session
from core.identity.oauth import OAuthError
from core.identity.tokens import digest, new_secret
from core.settings import Settings

SCOPES = ("openid", "profile", "offline_access")
PKCE_VALUE = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1 (verifier) and the S256 challenge's shape
MAX_PARAM = 2048


class NoRedirect(OAuthError):
    """An authorization error shown on the provider's own page: the client or its redirect URI cannot be
    trusted, so nothing is sent back (no open redirect)."""


class RedirectError(OAuthError):
    """An authorization error sent back to the client's (verified) redirect URI, with its state."""

    def __init__(self, error: str, description: str, *, redirect_uri: str, state: str | None, issuer: str) -> None:
        super().__init__(error, description)
        self.location = with_query(
            redirect_uri, {"error": error, "error_description": description, "state": state, "iss": issuer}
        )


def with_query(uri: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    if not query:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


@dataclass(frozen=True, kw_only=True)
class AuthRequest:
    """A checked authorization request; `params` are what the login form carries to come back to it."""

    client: Client
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    prompt: str | None  # what the prompt list asks that we act on: login (sign in again), none, or None
    params: dict[str, str]
    max_age: int | None = None  # seconds a sign-in may be old for this request (OIDC Core §3.1.2.1)

    def wants_a_new_sign_in(self, auth_time: datetime, now: datetime) -> bool:
        """prompt=login, or a sign-in older than max_age: the person signs in again."""
        return self.prompt == "login" or (self.max_age is not None and (now - auth_time).total_seconds() > self.max_age)


PASSED = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge")
PASSED_TOO = ("code_challenge_method", "prompt", "max_age")


def single_params(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The parameters of an OpenID request, each given once (a repeated one is refused: which would count?)."""
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise NoRedirect("invalid_request", f"参数 {key} 出现了不止一次")
        if len(value) > MAX_PARAM:
            raise NoRedirect("invalid_request", f"参数 {key} 太长")
        params[key] = value
    return params


async def parse_authorization(
    *, pool: asyncpg.Pool, settings: Settings, pairs: Sequence[tuple[str, str]]
) -> AuthRequest:
    """Check an authorization request. The client and its redirect URI first (NoRedirect: shown here); the
    rest is refused by redirecting the error back (RedirectError)."""
    params = single_params(pairs)
    client = await get_client(pool=pool, client_id=params.get("client_id", "")) if params.get("client_id") else None
    if client is None:
        raise NoRedirect("invalid_client", "未知的应用（client_id 未登记）。")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:  # exact match: no prefix, no pattern
        raise NoRedirect("invalid_request", "回调地址（redirect_uri）与该应用登记的地址不一致。")
    state = params.get("state")

    def refuse(error: str, description: str) -> RedirectError:
        return RedirectError(error, description, redirect_uri=redirect_uri, state=state, issuer=settings.issuer)

    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "only response_type=code is supported")
    if "request" in params or "request_uri" in params:
        raise refuse("request_not_supported", "request objects are not supported")
    requested = params.get("scope", "").split()
    if "openid" not in requested:
        raise refuse("invalid_scope", "scope must include openid")
    challenge = _pkce(client, params, refuse)
    prompts = set(params.get("prompt", "").split())  # a space-separated list (OIDC Core §3.1.2.1)
    if "none" in prompts and len(prompts) > 1:
        raise refuse("invalid_request", "prompt=none cannot be combined with other values")
    max_age = params.get("max_age")
    if max_age is not None and not (max_age.isdecimal() and len(max_age) <= 9):
        raise refuse("invalid_request", "max_age must be a whole number of seconds")
    return AuthRequest(
        client=client,
        redirect_uri=redirect_uri,
        scopes=tuple(s for s in dict.fromkeys(requested) if s in SCOPES),
        state=state,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        prompt="login" if "login" in prompts else "none" if "none" in prompts else None,
        params={k: params[k] for k in PASSED + PASSED_TOO if k in params},
        max_age=int(max_age) if max_age is not None else None,
    )


def _pkce(client: Client, params: dict[str, str], refuse: Any) -> str | None:
    challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise refuse("invalid_request", "code_challenge_method without code_challenge")
        if client.public:
            raise refuse("invalid_request", "PKCE is required for public clients (code_challenge_method=S256)")
        return None
    if method != "S256":  # `plain`, or a missing method (which means plain, RFC 7636 §4.3), is refused
        raise refuse("invalid_request", "only code_challenge_method=S256 is supported")
    if not PKCE_VALUE.fullmatch(challenge):
        raise refuse("invalid_request", "code_challenge is malformed")
    return challenge


async def issue_code(
    *, pool: asyncpg.Pool, settings: Settings, request: AuthRequest, session: Session, now: datetime
) -> str:
    """Where to send the browser: the redirect URI with a new code, the state and the issuer (RFC 9207)."""
    code = new_secret()
    await session_store.insert_code(
        pool,
        code_hash=digest(code),
        client_id=request.client.client_id,
        session_id=session.id,
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        expires_at=now + timedelta(seconds=settings.auth_code_ttl_s),
    )
    return with_query(request.redirect_uri, {"code": code, "state": request.state, "iss": settings.issuer})

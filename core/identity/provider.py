"""The OpenID Connect provider's protocol logic, over Postgres, for api/oidc.py's thin routes.

Authorization code flow with PKCE (S256 only; required for public clients), exact redirect URI match, refresh
tokens rotated at each use with reuse detection (a used token presented again revokes its whole family),
userinfo, revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from core.errors import Unauthenticated
from core.identity import session_store, store
from core.identity.clients import get_client
from core.identity.models import Client, RefreshGrant, Session
from core.identity.oauth import OAuthError
from core.identity.tokens import (
    access_claims,
    access_token,
    digest,
    id_token,
    new_secret,
    user_claims,
    verify_access_token,
)
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
    prompt: str | None
    params: dict[str, str]


PASSED = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge")
PASSED_TOO = ("code_challenge_method", "prompt")


def _single(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
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
    params = _single(pairs)
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
    return AuthRequest(
        client=client,
        redirect_uri=redirect_uri,
        scopes=tuple(s for s in dict.fromkeys(requested) if s in SCOPES),
        state=state,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        prompt=params.get("prompt"),
        params={k: params[k] for k in PASSED + PASSED_TOO if k in params},
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


def _grant_error(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def _check_verifier(challenge: str | None, verifier: str | None) -> None:
    if challenge is None:
        if verifier is not None:  # RFC 9700 §2.1.1: no verifier without a challenge (PKCE downgrade)
            raise _grant_error("code_verifier sent, but the authorization request had no code_challenge")
        return
    if verifier is None or not PKCE_VALUE.fullmatch(verifier):
        raise _grant_error("code_verifier is missing or malformed")
    if not hmac.compare_digest(create_s256_code_challenge(verifier), challenge):
        raise _grant_error("code_verifier does not match the code_challenge")


async def exchange_code(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    client: Client,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The token response for an authorization code, used once; a code presented twice revokes what it
    was exchanged for."""
    code_hash = digest(code or "")
    async with pool.acquire() as conn:  # one connection: a pool call each would add a reset round trip
        grant = await session_store.consume_code(conn, code_hash, now) if code else None
        if grant is None:
            raise _grant_error("unknown authorization code")
        if grant.used:
            await session_store.revoke_code_family(conn, code_hash, now)
            raise _grant_error("authorization code already used: the tokens issued for it are revoked")
        if grant.client_id != client.client_id or grant.expires_at <= now:
            raise _grant_error("authorization code expired or issued to another client")
        if redirect_uri != grant.redirect_uri:
            raise _grant_error("redirect_uri differs from the authorization request's")
        _check_verifier(grant.code_challenge, code_verifier)
        session = await _live_session(conn, grant.session_id, now)
        return await _tokens(
            pool=pool,
            db=conn,
            settings=settings,
            client=client,
            session=session,
            scopes=grant.scopes,
            nonce=grant.nonce,
            family=uuid.uuid4(),
            code_hash=code_hash,
            now=now,
        )


async def _live_session(db: asyncpg.Connection, session_id: uuid.UUID, now: datetime) -> Session:
    session = await session_store.session_by_id(db, session_id)
    if session is None or session.ended_at is not None or session.expires_at <= now:
        raise _grant_error("the sign-in behind this grant has ended")
    return session


async def _tokens(
    *,
    pool: asyncpg.Pool,
    db: asyncpg.Connection,
    settings: Settings,
    client: Client,
    session: Session,
    scopes: Sequence[str],
    nonce: str | None,
    family: uuid.UUID,
    code_hash: str | None,
    now: datetime,
) -> dict[str, Any]:
    user = await store.user_by_id(db, session.user_id)
    if user is None or user.disabled:
        raise _grant_error("this account is disabled")
    access = await access_token(
        pool=pool,
        settings=settings,
        user_id=user.id,
        client_id=client.client_id,
        session_id=session.id,
        scopes=scopes,
        now=now,
    )
    refresh = new_secret()
    await session_store.insert_refresh(
        db,
        token_hash=digest(refresh),
        family=family,
        code_hash=code_hash,
        client_id=client.client_id,
        session_id=session.id,
        scopes=scopes,
        expires_at=min(now + timedelta(seconds=settings.refresh_token_ttl_s), session.expires_at),
    )
    body: dict[str, Any] = {
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_s,
        "refresh_token": refresh,
        "scope": " ".join(scopes),
    }
    if "openid" in scopes:
        body["id_token"] = await id_token(
            pool=pool,
            settings=settings,
            user=user,
            client=client,
            session=session,
            scopes=scopes,
            nonce=nonce if code_hash is not None else None,
            access=access.token,
            now=now,
        )
    return body


async def refresh_tokens(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    client: Client,
    refresh_token: str | None,
    scope: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Rotate a refresh token: the presented one is used up and a new one of the same family is returned.
    A token used before (a copy in a thief's hands, or the thief's copy used first) revokes the family."""
    async with pool.acquire() as conn:
        return await _rotate(
            pool=pool, db=conn, settings=settings, client=client, refresh_token=refresh_token, scope=scope, now=now
        )


async def _rotate(
    *,
    pool: asyncpg.Pool,
    db: asyncpg.Connection,
    settings: Settings,
    client: Client,
    refresh_token: str | None,
    scope: str | None,
    now: datetime,
) -> dict[str, Any]:
    grant = await session_store.use_refresh(db, digest(refresh_token), now) if refresh_token else None
    if grant is None:
        raise _grant_error("unknown refresh token")
    if grant.used:
        await session_store.revoke_family(db, grant.family, now)
        raise _grant_error("refresh token reused: every token of this grant is revoked")
    if grant.revoked or grant.expires_at <= now or grant.client_id != client.client_id:
        raise _grant_error("refresh token revoked, expired or issued to another client")
    scopes = grant.scopes
    if scope is not None:
        wanted = tuple(dict.fromkeys(scope.split()))
        if not set(wanted) <= set(grant.scopes):
            raise OAuthError("invalid_scope", "a refresh cannot widen the scope")
        scopes = wanted
    session = await _live_session(db, grant.session_id, now)
    return await _tokens(
        pool=pool,
        db=db,
        settings=settings,
        client=client,
        session=session,
        scopes=scopes,
        nonce=None,
        family=grant.family,
        code_hash=None,
        now=now,
    )


async def revoke(*, pool: asyncpg.Pool, settings: Settings, client: Client, token: str, now: datetime) -> None:
    """RFC 7009: revoke a refresh token (its whole family) or an access token of this client; an unknown or
    foreign token is ignored (the answer is the same)."""
    grant = await session_store.peek_refresh(pool, digest(token))
    if grant is not None:
        if grant.client_id == client.client_id:
            await session_store.revoke_family(pool, grant.family, now)
        return
    try:
        claims = await access_claims(pool=pool, settings=settings, token=token, now=now)
    except Unauthenticated:
        return
    if claims["client_id"] == client.client_id:
        await session_store.revoke_access(pool, claims["jti"], datetime.fromtimestamp(claims["exp"], tz=now.tzinfo))


async def introspect(*, pool: asyncpg.Pool, settings: Settings, token: str, now: datetime) -> dict[str, Any]:
    """RFC 7662: whether a token is active now, and what it says."""
    try:
        principal = await verify_access_token(pool=pool, settings=settings, token=token, now=now)
        claims = await access_claims(pool=pool, settings=settings, token=token, now=now)
    except Unauthenticated:
        return await _introspect_refresh(pool, token, now)
    return {
        "active": True,
        "token_type": "Bearer",
        "scope": claims.get("scope", ""),
        "client_id": claims["client_id"],
        "username": principal.username,
        "sub": claims["sub"],
        "sid": claims["sid"],
        "iss": claims["iss"],
        "aud": claims["aud"],
        "iat": claims.get("iat"),
        "exp": claims["exp"],
        "real_name_level": principal.real_name_level,
    }


async def _introspect_refresh(pool: asyncpg.Pool, token: str, now: datetime) -> dict[str, Any]:
    grant: RefreshGrant | None = await session_store.peek_refresh(pool, digest(token))
    if grant is None or grant.used or grant.revoked or grant.expires_at <= now:
        return {"active": False}
    session = await session_store.session_by_id(pool, grant.session_id)
    if session is None or session.ended_at is not None or session.expires_at <= now:
        return {"active": False}
    return {
        "active": True,
        "token_type": "refresh_token",
        "scope": " ".join(grant.scopes),
        "client_id": grant.client_id,
        "sub": str(session.user_id),
        "exp": int(grant.expires_at.timestamp()),
    }


async def userinfo(*, pool: asyncpg.Pool, settings: Settings, token: str, now: datetime) -> dict[str, Any]:
    principal = await verify_access_token(pool=pool, settings=settings, token=token, now=now)
    if "openid" not in principal.scopes or principal.user_id is None:
        raise Unauthenticated("this access token was not issued for openid")
    user = await store.user_by_id(pool, principal.user_id)
    if user is None:
        raise Unauthenticated("this account no longer exists")
    return user_claims(user, tuple(principal.scopes))

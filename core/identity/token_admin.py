"""Token management for sites: revocation (RFC 7009), introspection (RFC 7662) and userinfo (OIDC Core 5.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from core.errors import Unauthenticated
from core.identity import session_store, store
from core.identity.models import Client, RefreshGrant
from core.identity.tokens import access_claims, digest, user_claims, verify_access_token
from core.settings import Settings


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

"""Signing out: RP-initiated logout (OIDC RP-Initiated Logout 1.0) ends the provider's session, and every
client that got tokens in it receives a signed logout token on its back-channel logout URI (OIDC Back-Channel
Logout 1.0, delivered durably by core.identity.backchannel), so signing out on one site signs out on all.
Refresh tokens of the session are revoked and its access tokens stop verifying at once (verification checks
the session)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from joserfc import jws
from joserfc.errors import JoseError

from core.errors import Unauthenticated
from core.identity import backchannel, outbox_store, session_store
from core.identity.authorization import NoRedirect, with_query
from core.identity.clients import get_client
from core.identity.models import Client
from core.identity.tokens import id_token_hint
from core.settings import Settings


@dataclass(frozen=True, kw_only=True)
class LogoutRequest:
    """A checked logout request: the session named by the ID token hint, and where to go afterwards."""

    session_id: UUID | None
    user_id: UUID | None
    client: Client | None
    redirect: str | None


def _audience(claims: dict[str, object]) -> str | None:
    aud = claims.get("aud")
    if isinstance(aud, list):
        return str(aud[0]) if aud else None
    return str(aud) if aud else None


async def parse_logout(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    hint: str | None,
    post_logout_redirect_uri: str | None,
    client_id: str | None,
    state: str | None,
    now: datetime,
) -> LogoutRequest:
    """Check a logout request; NoRedirect when the hint is not ours or the post-logout URI is not one the
    client registered (exact match)."""
    claims: dict[str, object] = {}
    named = None
    if hint:
        try:
            claims = await id_token_hint(pool=pool, settings=settings, token=hint, now=now)
            named = _audience(claims)
        except Unauthenticated:
            # A well-formed hint of ours whose key is gone (a rotation more than ACCESS_TOKEN_TTL_S ago; sites keep
            # ID tokens for a whole session) counts as no hint: the person confirms, so a forged one ends nothing.
            named = _audience(unverified_hint(hint, settings))
    if client_id and named and client_id != named:
        raise NoRedirect("invalid_request", "client_id 与 id_token_hint 的应用不一致。")
    client = await get_client(pool=pool, client_id=client_id or named or "") if (client_id or named) else None
    redirect = None
    if post_logout_redirect_uri is not None:
        if client is None and not (client_id or named):  # the URI is checked against one client's registration
            raise NoRedirect(
                "invalid_request",
                "退出后的跳转地址（post_logout_redirect_uri）需与 id_token_hint 或 client_id 一同提供。",
            )
        if client is None:
            raise NoRedirect("invalid_request", "未知的应用（client_id 未登记）。")
        if post_logout_redirect_uri not in client.post_logout_redirect_uris:
            raise NoRedirect("invalid_request", "退出后的跳转地址（post_logout_redirect_uri）未登记。")
        redirect = with_query(post_logout_redirect_uri, {"state": state})
    return LogoutRequest(
        session_id=UUID(str(claims["sid"])) if claims else None,
        user_id=UUID(str(claims["sub"])) if claims.get("sub") else None,
        client=client,
        redirect=redirect,
    )


def unverified_hint(hint: str, settings: Settings) -> dict[str, object]:
    """The claims of a hint that looks like one of our ID tokens but does not verify, read only to find the site
    whose registered post-logout URI it may go back to; NoRedirect when it is not even that."""
    try:
        claims = json.loads(jws.extract_compact(hint.encode()).payload)
    except (JoseError, ValueError, TypeError, UnicodeError):
        claims = None
    if not isinstance(claims, dict) or claims.get("iss") != settings.issuer:
        raise NoRedirect("invalid_request", "id_token_hint 无效：不是本平台签发的 ID 令牌。")
    return claims


async def end_session(*, pool: asyncpg.Pool, settings: Settings, session_id: UUID, now: datetime) -> list[str]:
    """End a session, revoke its refresh tokens and owe a logout token to every client of it that registered a
    back-channel logout URI, all in one transaction; then send them (core.identity.backchannel: a site that fails
    is retried with backoff by the scheduler). Returns the clients that acknowledged now (2xx)."""
    async with pool.acquire() as conn, conn.transaction():
        if not await session_store.end_session(conn, session_id, now):
            return []
        owed = await outbox_store.enqueue(conn, session_id=session_id, now=now, lease_until=backchannel.lease(now))
    return await backchannel.deliver(pool=pool, settings=settings, deliveries=owed, now=now)

"""Signing out: RP-initiated logout (OIDC RP-Initiated Logout 1.0) ends the provider's session, and every
client that got tokens in it receives a signed logout token on its back-channel logout URI (OIDC Back-Channel
Logout 1.0), so signing out on one site signs out on all. Refresh tokens of the session are revoked and its
access tokens stop verifying at once (verification checks the session)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import httpx

from core.errors import Unauthenticated
from core.identity import session_store
from core.identity.clients import get_client
from core.identity.models import Client
from core.identity.provider import NoRedirect, with_query
from core.identity.tokens import id_token_hint, logout_token_claims, sign
from core.settings import Settings

log = logging.getLogger(__name__)
BACKCHANNEL_TIMEOUT_S = 5.0


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
    if hint:
        try:
            claims = await id_token_hint(pool=pool, settings=settings, token=hint, now=now)
        except Unauthenticated:
            raise NoRedirect("invalid_request", "id_token_hint 无效：不是本平台签发的 ID 令牌。") from None
    named = _audience(claims)
    if client_id and named and client_id != named:
        raise NoRedirect("invalid_request", "client_id 与 id_token_hint 的应用不一致。")
    client = await get_client(pool=pool, client_id=client_id or named or "") if (client_id or named) else None
    redirect = None
    if post_logout_redirect_uri is not None:
        if client is None or post_logout_redirect_uri not in client.post_logout_redirect_uris:
            raise NoRedirect("invalid_request", "退出后的跳转地址（post_logout_redirect_uri）未登记。")
        redirect = with_query(post_logout_redirect_uri, {"state": state})
    return LogoutRequest(
        session_id=UUID(str(claims["sid"])) if claims else None,
        user_id=UUID(str(claims["sub"])) if claims.get("sub") else None,
        client=client,
        redirect=redirect,
    )


async def end_session(*, pool: asyncpg.Pool, settings: Settings, session_id: UUID, now: datetime) -> list[str]:
    """End a session, revoke its refresh tokens and notify every client of it that registered a back-channel
    logout URI; returns the clients that acknowledged (2xx). A client that fails is logged, not retried."""
    if not await session_store.end_session(pool, session_id, now):
        return []
    session = await session_store.session_by_id(pool, session_id)
    targets = await session_store.backchannel_targets(pool, session_id)
    if session is None or not targets:
        return []
    async with httpx.AsyncClient(timeout=BACKCHANNEL_TIMEOUT_S, follow_redirects=False) as http:
        results = await asyncio.gather(
            *(
                _notify(http, pool, settings, client_id, uri, session.user_id, session_id, now)
                for client_id, uri in targets
            )
        )
    return [client_id for client_id, ok in zip((t[0] for t in targets), results, strict=True) if ok]


async def _notify(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    settings: Settings,
    client_id: str,
    uri: str,
    user_id: UUID,
    session_id: UUID,
    now: datetime,
) -> bool:
    client = await get_client(pool=pool, client_id=client_id)
    alg = client.id_token_alg if client else "RS256"
    claims = logout_token_claims(
        settings=settings, client_id=client_id, user_id=user_id, session_id=session_id, now=now
    )
    token = await sign(pool=pool, alg=alg, claims=claims, now=now, typ="logout+jwt")
    try:
        answer = await http.post(uri, data={"logout_token": token})
    except httpx.HTTPError as exc:
        log.warning("back-channel logout failed", extra={"client_id": client_id, "error": type(exc).__name__})
        return False
    if not answer.is_success:
        log.warning("back-channel logout refused", extra={"client_id": client_id, "status": answer.status_code})
    return answer.is_success

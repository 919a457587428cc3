"""The OpenID Connect provider's protocol logic, over Postgres, for api/oidc.py's thin routes.

Authorization requests and codes (core.identity.authorization, re-exported here), the code exchange with PKCE
(S256), refresh tokens rotated at each use with reuse detection: a used code or refresh token presented again
ends the session it was issued in (refresh tokens revoked, access tokens refused, back-channel logout to its
sites), since one of the two presenters holds a stolen copy; revocation, introspection and userinfo are in
core.identity.token_admin."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from core.identity import code_store, keys, session_store, store
from core.identity.authorization import (
    MAX_PARAM,
    PASSED,
    PASSED_TOO,
    PKCE_VALUE,
    SCOPES,
    AuthRequest,
    NoRedirect,
    RedirectError,
    issue_code,
    parse_authorization,
    with_query,
)
from core.identity.logout import end_session
from core.identity.models import Client, Session, User
from core.identity.oauth import OAuthError
from core.identity.tokens import Signers, access_token, digest, id_token, new_secret
from core.settings import Settings

__all__ = [  # the authorization names are re-exported: callers know them as provider.*
    "MAX_PARAM",
    "PASSED",
    "PASSED_TOO",
    "SCOPES",
    "AuthRequest",
    "NoRedirect",
    "RedirectError",
    "exchange_code",
    "issue_code",
    "parse_authorization",
    "refresh_tokens",
    "with_query",
]


def _grant_error(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def _s256(verifier: str | None) -> str | None:
    """What the code's challenge must be for this verifier: None without one, and for a malformed one a value no
    challenge has (the check below says why it failed)."""
    if verifier is None:
        return None
    return create_s256_code_challenge(verifier) if PKCE_VALUE.fullmatch(verifier) else "!"


def _check_verifier(challenge: str | None, verifier: str | None, hashed: str | None = None) -> None:
    """`hashed`: _s256(verifier) when the caller has it already."""
    if challenge is None:
        if verifier is not None:  # RFC 9700 §2.1.1: no verifier without a challenge (PKCE downgrade)
            raise _grant_error("code_verifier sent, but the authorization request had no code_challenge")
        return
    if verifier is None or not PKCE_VALUE.fullmatch(verifier):
        raise _grant_error("code_verifier is missing or malformed")
    if not hmac.compare_digest(hashed or create_s256_code_challenge(verifier), challenge):
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
    """The token response for an authorization code, used once; a code presented twice revokes what it was
    exchanged for. One statement consumes the code, checks it and stores the refresh token (code_store); what
    failed is then told in words from what it returned."""
    if not code:
        raise _grant_error("unknown authorization code")
    refresh = new_secret()
    presented = code_store.Presented(
        code_hash=digest(code),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        challenge=_s256(code_verifier),
        refresh_hash=digest(refresh),
        family=uuid.uuid4(),
        refresh_ttl_s=settings.refresh_token_ttl_s,
    )
    redeemed = await code_store.redeem_code(pool, presented, now)
    if redeemed is None:
        raise _grant_error("unknown authorization code")
    grant = redeemed.grant
    if grant.used:
        # RFC 6749 §4.1.2: revoke what the first use got; its access tokens are JWTs, so end their session
        if await session_store.revoke_code_family(pool, presented.code_hash, now):
            await end_session(pool=pool, settings=settings, session_id=grant.session_id, now=now)
            raise _grant_error("authorization code already used: the tokens issued for it are revoked")
        # its one try went to a request that failed a check (client, redirect_uri, verifier): nothing was issued
        raise _grant_error("authorization code already presented once (a code has one try): sign in again")
    if grant.client_id != client.client_id or grant.expires_at <= now:
        raise _grant_error("authorization code expired or issued to another client")
    if redirect_uri != grant.redirect_uri:
        raise _grant_error("redirect_uri differs from the authorization request's")
    _check_verifier(grant.code_challenge, code_verifier, presented.challenge)
    session, user = _live(redeemed.session, now), _enabled(redeemed.user)
    if not redeemed.issued:  # every check above passed here, but not in the statement: the session just ended
        raise _grant_error("the sign-in behind this grant has ended")
    signers = await keys.ring(pool, settings).signers(pool, now)
    return await _body(
        pool=pool,
        settings=settings,
        client=client,
        session=session,
        user=user,
        scopes=grant.scopes,
        nonce=grant.nonce,
        refresh=refresh,
        signers=signers,
        now=now,
    )


def _live(session: Session | None, now: datetime) -> Session:
    if session is None or session.ended_at is not None or session.expires_at <= now:
        raise _grant_error("the sign-in behind this grant has ended")
    return session


def _enabled(user: User | None) -> User:
    if user is None or user.disabled:
        raise _grant_error("this account is disabled")
    return user


async def _body(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    client: Client,
    session: Session,
    user: User,
    scopes: Sequence[str],
    nonce: str | None,
    refresh: str,
    signers: Signers,
    now: datetime,
) -> dict[str, Any]:
    """The token response: a new access token, the refresh token (stored by the caller), an ID token for openid."""
    access = await access_token(
        pool=pool,
        settings=settings,
        user_id=user.id,
        client_id=client.client_id,
        session_id=session.id,
        scopes=scopes,
        now=now,
        signers=signers,
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
            nonce=nonce,
            access=access.token,
            now=now,
            signers=signers,
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
    signers = await keys.ring(pool, settings).signers(pool, now)  # before the connection (keys.KeyRing)
    try:
        async with pool.acquire() as conn:
            return await _rotate(
                pool=pool,
                db=conn,
                settings=settings,
                client=client,
                refresh_token=refresh_token,
                scope=scope,
                signers=signers,
                now=now,
            )
    except _Reused as reused:  # ended with the connection given back: ending takes one of its own
        await end_session(pool=pool, settings=settings, session_id=reused.session_id, now=now)
        raise _grant_error("refresh token reused: every token of this grant is revoked") from None


class _Reused(Exception):
    """A refresh token presented a second time: its session is ended once the connection is released."""

    def __init__(self, session_id: uuid.UUID) -> None:
        super().__init__(str(session_id))
        self.session_id = session_id


async def _rotate(
    *,
    pool: asyncpg.Pool,
    db: asyncpg.Connection,
    settings: Settings,
    client: Client,
    refresh_token: str | None,
    scope: str | None,
    signers: Signers,
    now: datetime,
) -> dict[str, Any]:
    if scope is not None and refresh_token:  # a request the client can fix must not use its token up
        held = await session_store.peek_refresh(db, digest(refresh_token))
        if held is not None and not held.used and not set(scope.split()) <= set(held.scopes):
            raise OAuthError("invalid_scope", "a refresh cannot widen the scope")
    grant = await session_store.use_refresh(db, digest(refresh_token), now) if refresh_token else None
    if grant is None:
        raise _grant_error("unknown refresh token")
    if grant.used:
        await session_store.revoke_family(db, grant.family, now)
        raise _Reused(grant.session_id)
    if grant.revoked or grant.expires_at <= now or grant.client_id != client.client_id:
        raise _grant_error("refresh token revoked, expired or issued to another client")
    scopes = grant.scopes
    if scope is not None:
        wanted = tuple(dict.fromkeys(scope.split()))
        if not set(wanted) <= set(grant.scopes):
            raise OAuthError("invalid_scope", "a refresh cannot widen the scope")
        scopes = wanted
    session = _live(await session_store.session_by_id(db, grant.session_id), now)
    user = _enabled(await store.user_by_id(db, session.user_id))
    refresh = new_secret()
    await session_store.insert_refresh(
        db,
        token_hash=digest(refresh),
        family=grant.family,
        code_hash=None,
        client_id=client.client_id,
        session_id=session.id,
        scopes=grant.scopes,  # RFC 6749 §6: a narrower scope is this access token's; the grant keeps what was granted
        expires_at=min(now + timedelta(seconds=settings.refresh_token_ttl_s), session.expires_at),
    )
    return await _body(
        pool=pool,
        settings=settings,
        client=client,
        session=session,
        user=user,
        scopes=scopes,
        nonce=None,
        refresh=refresh,
        signers=signers,
        now=now,
    )

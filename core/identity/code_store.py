"""SQL of the code exchange, the token endpoint's hot path: one statement consumes the code, reads the session and
the account behind it and, only when every check holds, stores the refresh token and notes the client for
back-channel logout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from core.identity.models import CodeGrant, Session, User
from core.identity.session_store import Conn

# The code is marked used whatever follows (a code gets one try); `ok` repeats every check the caller then
# explains in words: first use, this client, unexpired, the same redirect URI, the PKCE challenge the verifier
# hashes to (`is not distinct from`: no verifier without a challenge, no challenge without a verifier), a live
# session and an enabled account.
REDEEM = """
    with old as (select code_hash, used_at from identity_codes where code_hash = $1 for update),
    code as (
        update identity_codes c set used_at = coalesce(c.used_at, $2) from old where c.code_hash = old.code_hash
        returning c.code_hash, c.client_id, c.session_id, c.redirect_uri, c.scopes, c.nonce, c.code_challenge,
            c.expires_at, old.used_at is not null as used),
    found as (
        select code.*, s.user_id, s.auth_time, s.amr, s.expires_at as session_expires_at, s.ended_at,
            u.username, u.name, u.kind, u.real_name_level, u.password_hash is not null as has_password,
            u.totp_secret is not null as has_totp, u.credit_code, u.disabled, u.created_at as user_created_at,
            coalesce(not code.used and code.client_id = $3 and code.expires_at > $2 and code.redirect_uri = $4
                and code.code_challenge is not distinct from $5 and s.ended_at is null and s.expires_at > $2
                and not u.disabled, false) as ok
        from code left join identity_sessions s on s.id = code.session_id
            left join identity_users u on u.id = s.user_id),
    linked as (
        insert into identity_session_clients (session_id, client_id)
        select session_id, client_id from found where ok on conflict do nothing),
    stored as (
        insert into identity_refresh_tokens (token_hash, family, code_hash, client_id, session_id, scopes, expires_at)
        select $6, $7, code_hash, client_id, session_id, scopes,
            least($2::timestamptz + make_interval(secs => $8), session_expires_at)
        from found where ok
        returning token_hash)
    select found.*, exists (select 1 from stored) as issued from found"""


@dataclass(frozen=True, kw_only=True)
class Presented:
    """What a token request presents for a code, and the refresh token to store if it passes."""

    code_hash: str
    client_id: str
    redirect_uri: str | None
    challenge: str | None  # S256 of the presented verifier; None without one
    refresh_hash: str
    family: UUID
    refresh_ttl_s: int


@dataclass(frozen=True, kw_only=True)
class Redeemed:
    """The code as it was, the session and account behind it, and whether the refresh token was stored."""

    grant: CodeGrant
    session: Session | None
    user: User | None
    issued: bool


async def redeem_code(conn: Conn, presented: Presented, now: datetime) -> Redeemed | None:
    """Consume a code and, when every check holds, store its refresh token: one round trip. None: unknown code."""
    p = presented
    row = await conn.fetchrow(
        REDEEM,
        p.code_hash,
        now,
        p.client_id,
        p.redirect_uri,
        p.challenge,
        p.refresh_hash,
        p.family,
        float(p.refresh_ttl_s),
    )
    if row is None:
        return None
    grant = CodeGrant(
        client_id=row["client_id"],
        session_id=row["session_id"],
        redirect_uri=row["redirect_uri"],
        scopes=tuple(row["scopes"]),
        nonce=row["nonce"],
        code_challenge=row["code_challenge"],
        expires_at=row["expires_at"],
        used=row["used"],
    )
    if row["user_id"] is None:
        return Redeemed(grant=grant, session=None, user=None, issued=False)
    return Redeemed(grant=grant, session=_session(row), user=_user(row), issued=row["issued"])


def _session(row: asyncpg.Record) -> Session:
    return Session(
        id=row["session_id"],
        user_id=row["user_id"],
        auth_time=row["auth_time"],
        amr=tuple(row["amr"]),
        expires_at=row["session_expires_at"],
        ended_at=row["ended_at"],
    )


def _user(row: asyncpg.Record) -> User:
    return User(
        id=row["user_id"],
        username=row["username"],
        name=row["name"],
        kind=row["kind"],
        real_name_level=row["real_name_level"],
        has_password=row["has_password"],
        has_totp=row["has_totp"],
        credit_code=row["credit_code"],
        disabled=row["disabled"],
        created_at=row["user_created_at"],
    )

"""SQL on sessions, codes, refresh tokens, revoked access tokens and login failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeAlias
from uuid import UUID

import asyncpg

from core.identity.models import RefreshGrant, Session

Conn: TypeAlias = asyncpg.Pool | asyncpg.Connection
SESSION_COLUMNS = "id, user_id, auth_time, amr, expires_at, ended_at"


def _session(row: asyncpg.Record) -> Session:
    values = dict(row)
    values["amr"] = tuple(values["amr"])
    return Session(**values)


async def insert_session(
    conn: Conn, *, cookie_hash: str, user_id: UUID, auth_time: datetime, amr: Sequence[str], expires_at: datetime
) -> UUID:
    return await conn.fetchval(
        """insert into identity_sessions (cookie_hash, user_id, auth_time, amr, expires_at)
           values ($1, $2, $3, $4, $5) returning id""",
        cookie_hash,
        user_id,
        auth_time,
        list(amr),
        expires_at,
    )


async def session_by_cookie(conn: Conn, cookie_hash: str, now: datetime) -> Session | None:
    """The live session of a cookie (not ended, not expired)."""
    row = await conn.fetchrow(
        f"""select {SESSION_COLUMNS} from identity_sessions
            where cookie_hash = $1 and ended_at is null and expires_at > $2""",
        cookie_hash,
        now,
    )
    return _session(row) if row else None


async def session_by_id(conn: Conn, session_id: UUID) -> Session | None:
    row = await conn.fetchrow(f"select {SESSION_COLUMNS} from identity_sessions where id = $1", session_id)
    return _session(row) if row else None


async def end_session(conn: Conn, session_id: UUID, now: datetime) -> bool:
    """End a session and revoke its refresh tokens; False when it had already ended."""
    async with _transaction(conn) as tx:
        done = await tx.execute(
            "update identity_sessions set ended_at = $2 where id = $1 and ended_at is null", session_id, now
        )
        await tx.execute(
            "update identity_refresh_tokens set revoked_at = $2 where session_id = $1 and revoked_at is null",
            session_id,
            now,
        )
    return done.endswith(" 1")


def _transaction(conn: Conn) -> _Tx:
    return _Tx(conn)


class _Tx:
    """A transaction on a pool (one acquired connection) or on a connection."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._held: asyncpg.Connection | None = None
        self._tx: asyncpg.transaction.Transaction | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        if isinstance(self.conn, asyncpg.Pool):
            self._held = await self.conn.acquire()
            held: asyncpg.Connection = self._held
        else:
            held = self.conn
        self._tx = held.transaction()
        await self._tx.start()
        return held

    async def __aexit__(self, kind: object, exc: object, tb: object) -> None:
        assert self._tx is not None
        try:
            await (self._tx.rollback() if exc else self._tx.commit())
        finally:
            if self._held is not None and isinstance(self.conn, asyncpg.Pool):
                await self.conn.release(self._held)


async def active_principal_row(
    conn: Conn, *, session_id: UUID, user_id: UUID, jti: str, now: datetime
) -> asyncpg.Record | None:
    """The account behind an access token when its session is live and the token was not revoked."""
    return await conn.fetchrow(
        """select u.id, u.username, u.name, u.kind, u.real_name_level from identity_sessions s
           join identity_users u on u.id = s.user_id
           where s.id = $1 and s.user_id = $2 and s.ended_at is null and s.expires_at > $4 and not u.disabled
             and not exists (select 1 from identity_revoked_tokens r where r.jti = $3)""",
        session_id,
        user_id,
        jti,
        now,
    )


async def insert_code(
    conn: Conn,
    *,
    code_hash: str,
    client_id: str,
    session_id: UUID,
    redirect_uri: str,
    scopes: Sequence[str],
    nonce: str | None,
    code_challenge: str | None,
    expires_at: datetime,
) -> None:
    await conn.execute(
        """insert into identity_codes
               (code_hash, client_id, session_id, redirect_uri, scopes, nonce, code_challenge, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)""",
        code_hash,
        client_id,
        session_id,
        redirect_uri,
        list(scopes),
        nonce,
        code_challenge,
        expires_at,
    )


async def insert_refresh(
    conn: Conn,
    *,
    token_hash: str,
    family: UUID,
    code_hash: str | None,
    client_id: str,
    session_id: UUID,
    scopes: Sequence[str],
    expires_at: datetime,
) -> None:
    """Store a refresh token and note that the client got tokens in the session (for back-channel logout),
    in one round trip."""
    await conn.execute(
        """with linked as (
               insert into identity_session_clients (session_id, client_id) values ($5, $4) on conflict do nothing)
           insert into identity_refresh_tokens
               (token_hash, family, code_hash, client_id, session_id, scopes, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7)""",
        token_hash,
        family,
        code_hash,
        client_id,
        session_id,
        list(scopes),
        expires_at,
    )


async def use_refresh(conn: Conn, token_hash: str, now: datetime) -> RefreshGrant | None:
    """Mark a refresh token used and return it as it was (`used` true when it had been used before)."""
    row = await conn.fetchrow(
        """with old as (select token_hash, used_at from identity_refresh_tokens where token_hash = $1 for update)
           update identity_refresh_tokens t set used_at = coalesce(t.used_at, $2) from old
           where t.token_hash = old.token_hash
           returning t.family, t.client_id, t.session_id, t.scopes, t.expires_at, old.used_at is not null as used,
               t.revoked_at is not null as revoked""",
        token_hash,
        now,
    )
    return _refresh(row) if row else None


async def peek_refresh(conn: Conn, token_hash: str) -> RefreshGrant | None:
    row = await conn.fetchrow(
        """select family, client_id, session_id, scopes, expires_at, used_at is not null as used,
               revoked_at is not null as revoked from identity_refresh_tokens where token_hash = $1""",
        token_hash,
    )
    return _refresh(row) if row else None


def _refresh(row: asyncpg.Record) -> RefreshGrant:
    values = dict(row)
    values["scopes"] = tuple(values["scopes"])
    return RefreshGrant(**values)


async def revoke_family(conn: Conn, family: UUID, now: datetime) -> None:
    await conn.execute(
        "update identity_refresh_tokens set revoked_at = $2 where family = $1 and revoked_at is null", family, now
    )


async def revoke_code_family(conn: Conn, code_hash: str, now: datetime) -> bool:
    """A code used twice: revoke every refresh token issued from it. Whether its first use got tokens."""
    return bool(
        await conn.fetchval(
            """with issued as (select token_hash from identity_refresh_tokens where code_hash = $1),
                   revoked as (update identity_refresh_tokens set revoked_at = $2
                               where code_hash = $1 and revoked_at is null)
               select exists (select 1 from issued)""",
            code_hash,
            now,
        )
    )


async def revoke_access(conn: Conn, jti: str, expires_at: datetime) -> None:
    await conn.execute(
        "insert into identity_revoked_tokens (jti, expires_at) values ($1, $2) on conflict do nothing", jti, expires_at
    )


PRUNE_BATCH = 10_000  # rows per statement: a backlog goes over several ticks without long locks


async def prune(conn: Conn, now: datetime, *, batch: int = PRUNE_BATCH) -> dict[str, int]:
    """Forget what can no longer be used: sessions ended or expired (with their codes and refresh tokens, on
    delete cascade), expired codes and refresh tokens of live sessions, revocations of expired access tokens.
    An access token of a forgotten session is refused like one of an ended session (its session is not live)."""
    statements = {
        "sessions": "delete from identity_sessions where id in "
        "(select id from identity_sessions where least(ended_at, expires_at) < $1 limit $2)",
        "codes": "delete from identity_codes where code_hash in "
        "(select code_hash from identity_codes where expires_at < $1 limit $2)",
        "refresh_tokens": "delete from identity_refresh_tokens where token_hash in "
        "(select token_hash from identity_refresh_tokens where expires_at < $1 limit $2)",
        "revoked_tokens": "delete from identity_revoked_tokens where jti in "
        "(select jti from identity_revoked_tokens where expires_at < $1 limit $2)",
    }
    return {name: int((await conn.execute(sql, now, batch)).split()[-1]) for name, sql in statements.items()}

"""SQL of federation: pending upstream sign-ins, links of upstream accounts, and the account fields an upstream
keeps current (name, real-name level, ID-number hash)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias
from uuid import UUID

import asyncpg

Conn: TypeAlias = asyncpg.Pool | asyncpg.Connection


@dataclass(frozen=True, kw_only=True)
class PendingLogin:
    """A sign-in sent to an upstream, as stored; `used` is true when its callback had come before."""

    browser_hash: str
    provider: str
    nonce: str
    code_verifier: str
    params: dict[str, str]
    expires_at: datetime
    used: bool


async def insert_login(
    conn: Conn,
    *,
    state_hash: str,
    browser_hash: str,
    provider: str,
    nonce: str,
    code_verifier: str,
    params: dict[str, str],
    expires_at: datetime,
) -> None:
    await conn.execute(
        """insert into identity_upstream_logins
               (state_hash, browser_hash, provider, nonce, code_verifier, params, expires_at)
           values ($1, $2, $3, $4, $5, $6::jsonb, $7)""",
        state_hash,
        browser_hash,
        provider,
        nonce,
        code_verifier,
        json.dumps(params),
        expires_at,
    )


async def take_login(conn: Conn, state_hash: str, now: datetime) -> PendingLogin | None:
    """Mark a pending sign-in used and return it as it was; None when the state is unknown."""
    row = await conn.fetchrow(
        """with old as (select state_hash, used_at from identity_upstream_logins where state_hash = $1 for update)
           update identity_upstream_logins l set used_at = coalesce(l.used_at, $2) from old
           where l.state_hash = old.state_hash
           returning l.browser_hash, l.provider, l.nonce, l.code_verifier, l.params::text as params, l.expires_at,
               old.used_at is not null as used""",
        state_hash,
        now,
    )
    if row is None:
        return None
    values = dict(row)
    values["params"] = json.loads(values["params"])
    return PendingLogin(**values)


async def prune_logins(conn: Conn, now: datetime) -> None:
    await conn.execute("delete from identity_upstream_logins where expires_at < $1", now)


async def linked_user(conn: Conn, provider: str, subject: str) -> UUID | None:
    return await conn.fetchval(
        "select user_id from identity_upstream_links where provider = $1 and subject = $2", provider, subject
    )


async def user_by_id_number_hash(conn: Conn, number_hash: str) -> UUID | None:
    return await conn.fetchval("select id from identity_users where id_number_hash = $1", number_hash)


async def insert_link(conn: Conn, *, provider: str, subject: str, user_id: UUID, now: datetime) -> UUID:
    """Link an upstream account to `user_id`, unless it was linked meanwhile; returns the account it is linked to."""
    await conn.execute(
        """insert into identity_upstream_links (provider, subject, user_id, linked_at) values ($1, $2, $3, $4)
           on conflict do nothing""",
        provider,
        subject,
        user_id,
        now,
    )
    return await conn.fetchval(
        "select user_id from identity_upstream_links where provider = $1 and subject = $2", provider, subject
    )


async def links_of(conn: Conn, user_id: UUID) -> list[tuple[str, str]]:
    """(provider, subject) of every upstream account linked to `user_id`."""
    rows = await conn.fetch(
        "select provider, subject from identity_upstream_links where user_id = $1 order by provider", user_id
    )
    return [(r["provider"], r["subject"]) for r in rows]


async def refresh_account(
    conn: Conn,
    *,
    user_id: UUID,
    provider: str,
    subject: str,
    name: str,
    real_name_level: int,
    id_number_hash: str | None,
    now: datetime,
) -> bool:
    """Bring the account up to what the upstream says (the ID-number hash only fills an empty one, and only when
    no other account holds it); returns whether the account is enabled."""
    await conn.execute(
        "update identity_upstream_links set last_login_at = $3 where provider = $1 and subject = $2",
        provider,
        subject,
        now,
    )
    return bool(
        await conn.fetchval(
            """update identity_users u set name = $2, real_name_level = $3,
                   id_number_hash = case when u.id_number_hash is null and $4::text is not null and not exists
                       (select 1 from identity_users o where o.id_number_hash = $4) then $4 else u.id_number_hash end
               where u.id = $1 returning not u.disabled""",
            user_id,
            name,
            real_name_level,
            id_number_hash,
        )
    )

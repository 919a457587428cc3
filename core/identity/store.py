"""SQL on accounts, clients, signing keys and secrets (core.identity owns every identity_* table)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from core.identity.models import Client, SigningKey, User
from core.locks import Lock

USER_COLUMNS = """id, username, name, kind, real_name_level, password_hash is not null as has_password,
    totp_secret is not null as has_totp, credit_code, disabled, created_at"""
CLIENT_COLUMNS = """client_id, secret_hash is null as public, site_id, redirect_uris, post_logout_redirect_uris,
    backchannel_logout_uri, id_token_alg"""

Conn: TypeAlias = asyncpg.Pool | asyncpg.Connection


def _user(row: asyncpg.Record) -> User:
    return User(**dict(row))


def _client(row: asyncpg.Record) -> Client:
    values: dict[str, Any] = dict(row)
    values["redirect_uris"] = tuple(values["redirect_uris"])
    values["post_logout_redirect_uris"] = tuple(values["post_logout_redirect_uris"])
    return Client(**values)


async def insert_user(
    conn: Conn,
    *,
    username: str,
    name: str,
    kind: str,
    real_name_level: int,
    password_hash: str | None,
    credit_code: str | None,
    id_number_hash: str | None,
    totp_secret: str | None,
) -> UUID | None:
    """The new account's id, or None when the username, ID number or credit code is taken."""
    return await conn.fetchval(
        """insert into identity_users
               (username, name, kind, real_name_level, password_hash, credit_code, id_number_hash, totp_secret)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing returning id""",
        username,
        name,
        kind,
        real_name_level,
        password_hash,
        credit_code,
        id_number_hash,
        totp_secret,
    )


async def user_by_id(conn: Conn, user_id: UUID) -> User | None:
    row = await conn.fetchrow(f"select {USER_COLUMNS} from identity_users where id = $1", user_id)
    return _user(row) if row else None


async def user_by_username(conn: Conn, username: str) -> User | None:
    row = await conn.fetchrow(f"select {USER_COLUMNS} from identity_users where username = $1", username)
    return _user(row) if row else None


async def credentials(conn: Conn, username: str) -> tuple[UUID, str | None, str | None, bool] | None:
    """(id, password hash, TOTP secret, disabled) of an account, for signing in."""
    row = await conn.fetchrow(
        "select id, password_hash, totp_secret, disabled from identity_users where username = $1", username
    )
    return (row["id"], row["password_hash"], row["totp_secret"], row["disabled"]) if row else None


async def set_password_hash(conn: Conn, user_id: UUID, password_hash: str) -> None:
    await conn.execute("update identity_users set password_hash = $2 where id = $1", user_id, password_hash)


async def set_totp_secret(conn: Conn, user_id: UUID, secret: str | None) -> None:
    await conn.execute("update identity_users set totp_secret = $2 where id = $1", user_id, secret)


async def a_sealed_totp(conn: Conn, prefix: str) -> tuple[str, str] | None:
    """(username, sealed TOTP secret) of one account whose secret is sealed, to check the secret opens it."""
    row = await conn.fetchrow(
        "select username, totp_secret from identity_users where starts_with(totp_secret, $1) limit 1", prefix
    )
    return (row["username"], row["totp_secret"]) if row else None


async def plain_totps(conn: Conn, prefix: str) -> list[tuple[UUID, str, str]]:
    """(id, username, secret) of every account whose TOTP secret is stored in the clear, locked for sealing."""
    rows = await conn.fetch(
        """select id, username, totp_secret from identity_users
           where totp_secret is not null and not starts_with(totp_secret, $1) for update""",
        prefix,
    )
    return [(r["id"], r["username"], r["totp_secret"]) for r in rows]


async def list_users(conn: Conn, *, limit: int) -> list[User]:
    rows = await conn.fetch(f"select {USER_COLUMNS} from identity_users order by username limit $1", limit)
    return [_user(r) for r in rows]


async def add_agent(conn: Conn, legal_id: UUID, agent_id: UUID) -> None:
    await conn.execute(
        "insert into identity_agents (legal_id, agent_id) values ($1, $2) on conflict do nothing", legal_id, agent_id
    )


async def agents_of(conn: Conn, legal_id: UUID) -> list[UUID]:
    rows = await conn.fetch("select agent_id from identity_agents where legal_id = $1 order by added_at", legal_id)
    return [r["agent_id"] for r in rows]


async def insert_client(
    conn: Conn,
    *,
    client_id: str,
    secret_hash: str | None,
    site_id: str | None,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str],
    backchannel_logout_uri: str | None,
    id_token_alg: str,
) -> bool:
    """False when the client id is taken."""
    done = await conn.fetchval(
        """insert into identity_clients (client_id, secret_hash, site_id, redirect_uris, post_logout_redirect_uris,
               backchannel_logout_uri, id_token_alg)
           values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing returning true""",
        client_id,
        secret_hash,
        site_id,
        list(redirect_uris),
        list(post_logout_redirect_uris),
        backchannel_logout_uri,
        id_token_alg,
    )
    return bool(done)


async def client_by_id(conn: Conn, client_id: str) -> tuple[Client, str | None] | None:
    """A client and its secret hash."""
    row = await conn.fetchrow(
        f"select {CLIENT_COLUMNS}, secret_hash from identity_clients where client_id = $1", client_id
    )
    if row is None:
        return None
    values = dict(row)
    secret_hash = values.pop("secret_hash")
    return _client(values), secret_hash


async def list_clients(conn: Conn) -> list[Client]:
    return [_client(r) for r in await conn.fetch(f"select {CLIENT_COLUMNS} from identity_clients order by client_id")]


async def signing_keys(conn: Conn, now: datetime) -> list[SigningKey]:
    """The current keys and the retired ones still served, newest first."""
    rows = await conn.fetch(
        """select kid, alg, private_jwk, created_at, retired_at, served_until from identity_keys
           where retired_at is null or served_until > $1 order by created_at desc""",
        now,
    )
    return [SigningKey(**dict(r)) for r in rows]


async def all_keys(conn: Conn) -> list[SigningKey]:
    """Every key, retired ones included (to seal them at rest)."""
    rows = await conn.fetch(
        "select kid, alg, private_jwk, created_at, retired_at, served_until from identity_keys order by created_at"
    )
    return [SigningKey(**dict(r)) for r in rows]


async def set_private_jwk(conn: Conn, kid: str, private_jwk: str) -> None:
    await conn.execute("update identity_keys set private_jwk = $2 where kid = $1", kid, private_jwk)


async def insert_key(conn: Conn, *, kid: str, alg: str, private_jwk: str, now: datetime) -> None:
    await conn.execute(
        "insert into identity_keys (kid, alg, private_jwk, created_at) values ($1, $2, $3, $4)",
        kid,
        alg,
        private_jwk,
        now,
    )


async def retire_keys(conn: Conn, *, alg: str, now: datetime, served_until: datetime) -> int:
    """Retire the current keys of `alg`; they stay served until `served_until`."""
    done = await conn.execute(
        "update identity_keys set retired_at = $2, served_until = $3 where alg = $1 and retired_at is null",
        alg,
        now,
        served_until,
    )
    return int(done.split()[-1])


async def secret(conn: Conn, name: str, candidate: str) -> str:
    """The stored secret `name`, storing `candidate` first when there is none (every replica gets the same)."""
    await conn.execute(
        "insert into identity_secrets (name, value) values ($1, $2) on conflict do nothing", name, candidate
    )
    return await conn.fetchval("select value from identity_secrets where name = $1", name)


async def lock_keys(conn: asyncpg.Connection) -> None:
    """Serialise key creation across replicas (inside a transaction)."""
    await Lock.IDENTITY_KEYS.hold(conn)


async def set_region(conn: Conn, user_id: UUID, region_code: str | None) -> bool:
    """Set an account's division code (0024); False when there is no such account."""
    done = await conn.execute("update identity_users set region_code = $2 where id = $1", user_id, region_code)
    return done.endswith(" 1")


async def region_of(conn: Conn, user_id: UUID) -> str | None:
    return await conn.fetchval("select region_code from identity_users where id = $1", user_id)

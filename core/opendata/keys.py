"""Developer API keys: made by the CLI, kept as sha256 hashes, counted per call and rate-limited per key."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.errors import Forbidden, Invalid, NotFound, Unauthenticated
from core.identity.auth import authenticate_bearer
from core.opendata.ckan import Caller
from core.settings import Settings

KEY_PREFIX = "ywk_"
SHOWN_PREFIX = 8


@dataclass(frozen=True, kw_only=True)
class ApiKey:
    """A key as listed: never the key itself, only its first characters."""

    id: str
    prefix: str
    owner: str
    is_admin: bool
    rate_per_min: int
    calls: int
    last_used: datetime | None
    created: datetime
    revoked: bool


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(*, pool: asyncpg.Pool, owner: str, is_admin: bool = False, rate_per_min: int = 600) -> str:
    """A new key for `owner`; the key is returned once and only its hash is kept."""
    owner = owner.strip()
    if not 1 <= len(owner) <= 200:
        raise Invalid("a key's owner is 1 to 200 characters")
    if rate_per_min <= 0:
        raise Invalid("a key's rate limit is a positive number of calls per minute")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    await pool.execute(
        "insert into opendata_api_keys (key_hash, prefix, owner, is_admin, rate_per_min) values ($1, $2, $3, $4, $5)",
        key_hash(key),
        key[: len(KEY_PREFIX) + SHOWN_PREFIX],
        owner,
        is_admin,
        rate_per_min,
    )
    return key


async def list_keys(*, pool: asyncpg.Pool) -> list[ApiKey]:
    rows = await pool.fetch(
        """select id::text as id, prefix, owner, is_admin, rate_per_min, calls, last_used, created, revoked
           from opendata_api_keys order by created"""
    )
    return [ApiKey(**dict(r)) for r in rows]


async def revoke_key(*, pool: asyncpg.Pool, prefix: str) -> None:
    done = await pool.fetchval(
        "update opendata_api_keys set revoked = true where prefix = $1 and not revoked returning id", prefix
    )
    if done is None:
        raise NotFound(f"no live key starting {prefix!r}")


class KeyLimiter:
    """A token bucket per key in this process: `rate_per_min` calls a minute, bursts up to that many."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key_id: str, rate_per_min: int) -> float:
        """0 when the call may go ahead; else the seconds until it may."""
        now = time.monotonic()
        tokens, at = self._buckets.get(key_id, (float(rate_per_min), now))
        tokens = min(float(rate_per_min), tokens + (now - at) * rate_per_min / 60.0)
        if tokens < 1.0:
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) * 60.0 / rate_per_min
        self._buckets[key_id] = (tokens - 1.0, now)
        return 0.0


class RateLimited(Forbidden):
    """A key called faster than its rate limit; `retry_after` seconds until it may call again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limit of this API key exceeded; retry after {retry_after:.1f} s")
        self.retry_after = retry_after


async def caller_of(
    *, pool: asyncpg.Pool, settings: Settings, authorization: str | None, now: datetime, limiter: KeyLimiter
) -> Caller:
    """Who sends this Authorization header (a developer key, or a bearer token of the identity provider, as CKAN
    accepts its API tokens there with or without `Bearer`); anonymous without one. A wrong key is refused."""
    raw = (authorization or "").strip()
    if raw.lower().startswith("bearer "):
        raw = raw[7:].strip()
    if not raw:
        return Caller()
    if raw.startswith(KEY_PREFIX):
        row = await pool.fetchrow(
            """update opendata_api_keys set calls = calls + 1, last_used = $2 where key_hash = $1 and not revoked
               returning id::text as id, owner, is_admin, rate_per_min""",
            key_hash(raw),
            now,
        )
        if row is None:
            raise Unauthenticated("the API key is not known or was revoked")
        wait = limiter.take(row["id"], row["rate_per_min"])
        if wait > 0:
            raise RateLimited(wait)
        return Caller(name=row["owner"], is_admin=row["is_admin"], key_id=row["id"])
    principal = await authenticate_bearer(pool=pool, settings=settings, token=raw, now=now)
    return Caller(name=principal.username, is_admin=principal.has_role("admin"))

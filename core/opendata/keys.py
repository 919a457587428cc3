"""Developer API keys: made by the CLI, kept as sha256 hashes, counted per call and rate-limited per key across
every API process (a sliding one-minute window on the key's row)."""

from __future__ import annotations

import hashlib
import secrets
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


WINDOW_S = 60.0
# One statement counts the call and takes it from the key's window, shared by every API process through the key's
# row (the row lock orders one key's calls; other keys do not wait). A sliding window of two one-minute counters:
# the calls of this minute plus the previous minute's weighted by how much of it is still within the last 60 s.
# A refused call is counted in `calls` but not in the window, so a client that keeps calling is not locked out.
COUNT_CALL = """
with k as (
    select id, rate_per_min,
           case when window_start = $3 then window_calls else 0 end as cur,
           case when window_start = $3 then prev_calls
                when window_start = $3 - interval '1 minute' then window_calls else 0 end as prev
    from opendata_api_keys where key_hash = $1 and not revoked for update)
update opendata_api_keys a set calls = a.calls + 1, last_used = $2, window_start = $3, prev_calls = k.prev,
       window_calls = k.cur + (k.prev * (1 - $4::float8) + k.cur + 1 <= k.rate_per_min)::int
from k where a.id = k.id
returning a.id::text as id, a.owner, a.is_admin, a.rate_per_min, k.prev, k.cur, a.window_calls > k.cur as allowed"""


def window_of(now: datetime) -> tuple[datetime, float]:
    """The minute `now` falls in and how much of it has passed (0 to 1)."""
    start = now.replace(second=0, microsecond=0)
    return start, (now - start).total_seconds() / WINDOW_S


def wait_s(*, rate: int, prev: int, cur: int, elapsed: float) -> float:
    """Seconds until one more call fits the sliding window (`elapsed`: the share of this minute passed)."""
    if cur + 1 > rate:  # not this minute: next minute, once this one's calls weigh little enough
        need = 1.0 - (rate - 1) / cur if cur else 0.0
        return (1.0 - elapsed + max(0.0, need)) * WINDOW_S
    if prev == 0:
        return 0.0
    need = 1.0 - (rate - 1 - cur) / prev  # the share of the minute after which prev * (1 - share) + cur + 1 fits
    return max(0.0, need - elapsed) * WINDOW_S


class RateLimited(Forbidden):
    """A key called faster than its rate limit; `retry_after` seconds until it may call again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limit of this API key exceeded; retry after {retry_after:.1f} s")
        self.retry_after = retry_after


async def caller_of(*, pool: asyncpg.Pool, settings: Settings, authorization: str | None, now: datetime) -> Caller:
    """Who sends this Authorization header (a developer key, or a bearer token of the identity provider, as CKAN
    accepts its API tokens there with or without `Bearer`); anonymous without one. A wrong key is refused."""
    raw = (authorization or "").strip()
    if raw.lower().startswith("bearer "):
        raw = raw[7:].strip()
    if not raw:
        return Caller()
    if raw.startswith(KEY_PREFIX):
        start, elapsed = window_of(now)
        row = await pool.fetchrow(COUNT_CALL, key_hash(raw), now, start, elapsed)
        if row is None:
            raise Unauthenticated("the API key is not known or was revoked")
        if not row["allowed"]:
            rate, prev, cur = row["rate_per_min"], row["prev"], row["cur"]
            raise RateLimited(max(0.1, wait_s(rate=rate, prev=prev, cur=cur, elapsed=elapsed)))
        return Caller(name=row["owner"], is_admin=row["is_admin"], key_id=row["id"])
    principal = await authenticate_bearer(pool=pool, settings=settings, token=raw, now=now)
    return Caller(name=principal.username, is_admin=principal.has_role("admin"))

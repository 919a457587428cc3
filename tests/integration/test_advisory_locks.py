"""Per-key advisory locks (core.locks): one kind's lock of a key serialises its holders, and waits neither on
another kind's lock of the same key nor on a constant single-bigint lock equal to the key's hash (real Postgres)."""

from __future__ import annotations

import asyncpg
import pytest

from core.locks import Lock

pytestmark = pytest.mark.integration
KEY = "site-under-lock"


async def takes(pool: asyncpg.Pool, kind: Lock, key: str) -> bool:
    """Whether another connection gets `kind`'s lock of `key` within half a second (and lets it go)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("set local lock_timeout = '500ms'")
        try:
            await kind.hold(conn, key)
        except asyncpg.LockNotAvailableError:
            return False
    return True


async def test_a_kinds_lock_of_a_key_serialises_only_its_own_holders(pg_pool: asyncpg.Pool) -> None:
    async with pg_pool.acquire() as holder, holder.transaction():
        await Lock.INSPECT.hold(holder, KEY)
        assert not await takes(pg_pool, Lock.INSPECT, KEY)
        assert await takes(pg_pool, Lock.INSPECT, KEY + "-other")
        assert await takes(pg_pool, Lock.CRAWL, KEY)  # same key and hash, another kind
    assert await takes(pg_pool, Lock.INSPECT, KEY)  # released with the transaction


async def test_a_key_whose_hash_is_a_constant_lock_does_not_wait_on_it(pg_pool: asyncpg.Pool) -> None:
    """A constant lock (core/db.py's MIGRATION_LOCK, the scheduler's LEADER_LOCK: one bigint each) held while a key
    hashes to the same number: the key's lock is taken at once (a `pg_advisory_xact_lock(hashtext(key))` waited)."""
    constant = int(await pg_pool.fetchval("select hashtext($1)", KEY))
    async with pg_pool.acquire() as holder, holder.transaction():
        await holder.execute("select pg_advisory_xact_lock($1)", constant)
        assert await takes(pg_pool, Lock.INSPECT, KEY)

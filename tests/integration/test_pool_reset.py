"""A pooled connection goes back to the pool outside any transaction, even when a cancellation cut a statement's
preparation short (core.db.Connection and keep_session)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import asyncpg
import pytest

from core.db import close_pool, connect_pool
from core.settings import Settings

pytestmark = pytest.mark.integration


class CancelledAfterPrepare:
    """A connection's protocol that raises the task's cancellation once a statement's Parse and Describe have been
    answered: where the event loop delivers a `cancel()` that arrives while that answer is on its way, so asyncpg
    sends no Sync (a timing 2 runs in 2,000 hit with real cancellations; here it is hit every time)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def prepare(self, *args: Any, **kwargs: Any) -> Any:
        await self.real.prepare(*args, **kwargs)
        raise asyncio.CancelledError


async def test_a_snapshot_read_after_a_cancelled_preparation(settings: Settings) -> None:
    """The big screen's snapshot read failed with "SET TRANSACTION ISOLATION LEVEL must be called before any query"
    on a connection whose previous user had been cancelled there: Postgres still held the Parse's transaction."""
    pool = await connect_pool(settings, min_size=1, max_size=1)  # one connection: the next user gets the same one
    try:
        async with pool.acquire() as conn:
            raw = conn._con  # the proxy's connection: its protocol is swapped
            pid = raw.get_server_pid()
            real = raw._protocol
            raw._protocol = CancelledAfterPrepare(real)
            try:
                with pytest.raises(asyncio.CancelledError):
                    # a statement never seen before: asyncpg prepares it (a cached one is only bound and run)
                    await conn.fetchval(f"select count(*) from pg_class where relname <> '{secrets.token_hex(4)}'")
            finally:
                raw._protocol = real
        # what ops would see in pg_stat_activity: the pooled backend idle; without the reset it stays "active", still
        # in the Parse's implicit transaction (no Sync means no ReadyForQuery, so no idle state is ever reported)
        other = await asyncpg.connect(settings.database_url)
        try:
            assert await other.fetchval("select state from pg_stat_activity where pid = $1", pid) == "idle"
        finally:
            await other.close()
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            assert await conn.fetchval("select current_setting('transaction_isolation')") == "repeatable read"
    finally:
        await close_pool(pool)


async def test_a_refused_statement_leaves_the_connection_as_it_was(settings: Settings) -> None:
    """A statement Postgres refuses at Parse is synced by asyncpg itself: the pool's reset sends nothing more."""
    pool = await connect_pool(settings, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            with pytest.raises(asyncpg.UndefinedTableError):
                await conn.fetchval("select count(*) from no_such_table_here where a = $1", 1)
            assert not conn._con.unsynced
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            assert await conn.fetchval("select 1") == 1
    finally:
        await close_pool(pool)

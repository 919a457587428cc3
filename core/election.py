"""Leader election: a named lease held as a Postgres advisory lock on a connection of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import zlib

import asyncpg

from core.locks import Lock

log = logging.getLogger(__name__)
LEASE_CLASS = int(Lock.LEASE)  # the first key of every lease's two-key advisory lock (the scheduler uses one bigint)
APPLICATION_PREFIX = "yiwang-lease"
# The server notices a lost client within about 5 + 3 × 2 s and releases the lock then; the holder, checking
# every LEASE_CHECK_S with that as its deadline, notices first and stops before anyone else can take it.
KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"}
LEASE_CHECK_S = 1.0

_HELD = """
    select exists(select 1 from pg_locks where locktype = 'advisory' and classid = $1 and objid = $2
                  and objsubid = 2 and pid = pg_backend_pid() and granted)
"""


def lease_key(name: str) -> tuple[int, int]:
    """The advisory lock of a lease name: (LEASE_CLASS, crc32 of the name in 31 bits: an int4 and an oid alike)."""
    return LEASE_CLASS, zlib.crc32(name.encode()) & 0x7FFF_FFFF


async def lease_connection(dsn: str, name: str) -> asyncpg.Connection:
    """A connection of its own for asking for a lease and then holding it (never a pool's: the lock lives as
    long as the session); its application_name tells operators which process it is."""
    app = f"{APPLICATION_PREFIX}:{name}:{os.getpid()}"[:63]
    return await asyncpg.connect(dsn, timeout=10, server_settings={"application_name": app, **KEEPALIVES})


class Lease:
    """Held from `try_acquire` until `release`, the connection drops or the process dies (Postgres then frees
    it at once); `confirm` says whether it is still held, and once it says no it never says yes again."""

    def __init__(self, conn: asyncpg.Connection, name: str, check_s: float) -> None:
        self.conn = conn
        self.name = name
        self.key = lease_key(name)
        self.check_s = check_s
        self.lost = False
        self._asking = asyncio.Lock()

    @classmethod
    async def try_acquire(cls, conn: asyncpg.Connection, name: str, *, check_s: float = LEASE_CHECK_S) -> Lease | None:
        """The lease on `conn` (a `lease_connection`, which it then owns) if no one else holds it, else None."""
        if await conn.fetchval("select pg_try_advisory_lock($1, $2)", *lease_key(name), timeout=10):
            log.info("lease acquired", extra={"lease": name})
            return cls(conn, name, check_s)
        return None

    async def confirm(self) -> bool:
        """Whether the lock is still ours, asked on its own connection within `check_s`."""
        async with self._asking:  # one query at a time on a connection: the watch and a batch may both ask
            if self.lost:
                return False
            try:
                held = bool(await self.conn.fetchval(_HELD, *self.key, timeout=self.check_s))
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("lease check failed", extra={"lease": self.name, "error": repr(exc)})
                held = False
        if not held:
            self.lost = True
            log.error("lease lost", extra={"lease": self.name})
        return held

    async def watch(self) -> None:
        """Return once the lease is lost (checked every `check_s`)."""
        while True:
            if not await self.confirm():
                return
            await asyncio.sleep(self.check_s)

    async def release(self) -> None:
        """Give the lease up (closing its connection frees the lock even when the unlock cannot be sent)."""
        self.lost = True
        with contextlib.suppress(Exception):
            await self.conn.close(timeout=2)
        if not self.conn.is_closed():
            self.conn.terminate()


async def holder(pool: asyncpg.Pool, name: str) -> int | None:
    """The Postgres backend pid holding a lease, or None: what tests and operators look at."""
    sql = """
        select pid from pg_locks where locktype = 'advisory' and classid = $1 and objid = $2
        and objsubid = 2 and granted
    """
    return await pool.fetchval(sql, *lease_key(name))

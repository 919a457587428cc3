"""Postgres access: an asyncpg pool opened with retries, and versioned SQL migrations."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from core.errors import Upstream, caused_by
from core.masking import mask_url
from core.settings import Settings

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# One lock id for the whole migration run, so concurrent starters migrate once.
MIGRATION_LOCK = 0x59_57_4D_49  # "YWMI"
POOL_CLOSE_S = 2.0  # a stopping process waits this long for pooled connections still in use


# Postgres unreachable, shutting down, starting up or out of connections: worth a retry, not a wrong query.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset: the server is down or went away
    asyncpg.PostgresConnectionError,  # the connection was lost mid-operation
    asyncpg.CannotConnectNowError,  # "the database system is starting up / shutting down"
    asyncpg.AdminShutdownError,  # "terminating connection due to administrator command"
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # the pool resetting a connection the server has just closed: "cannot switch to state …" (asyncpg's words)
    asyncpg.InternalClientError,
)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says Postgres cannot be reached now rather than that a query is wrong."""
    return caused_by(exc, UNAVAILABLE)


class Connection(asyncpg.Connection):
    """asyncpg's connection, remembering a statement's preparation cut short by a cancellation.

    asyncpg prepares a statement with Parse and Describe followed by Flush, not Sync, and sends the Sync with the
    statement's execution. Postgres runs the Parse in an implicit transaction that lasts until a Sync, and takes a
    snapshot there for a query's parse analysis. When a task's cancellation arrives after the Describe answered but
    before the task ran again, asyncpg raises it at that point, so no Sync follows: the connection goes back to the
    pool inside a transaction that asyncpg's protocol does not know of (its last ReadyForQuery said idle). A
    snapshot read's `BEGIN ISOLATION LEVEL REPEATABLE READ` on it then failed with "SET TRANSACTION ISOLATION
    LEVEL must be called before any query". The pool's reset (`keep_session`) ends that transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unsynced = False

    async def _get_statement(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._get_statement(*args, **kwargs)
        except asyncpg.PostgresError:
            raise  # Postgres refused the statement: asyncpg sent the Sync that ends the implicit transaction
        except BaseException:
            self.unsynced = True  # cancelled (or worse) with the Parse perhaps unsynced
            raise


async def keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release, after asyncpg has rolled back an open transaction and dropped listeners: no
    round trip, unless a statement's preparation was cut short (`Connection`): then a simple query ends the
    implicit transaction its Parse left open. asyncpg's default sends `pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL` on every release (~0.1-0.2 ms of app and Postgres CPU each, a second round trip per
    pooled query); our code keeps no session state on pooled connections: `set local`, transaction-level advisory
    locks, cursors inside transactions (tests/unit/test_pool_session_state.py holds this). `migrate` unlocks its
    session lock itself."""
    if getattr(conn, "unsynced", False):  # asyncpg's isinstance says yes to any connection: ask the flag
        conn.unsynced = False
        await conn.execute("select 1")  # a simple query: Postgres commits the implicit transaction as it ends


async def connect_pool(settings: Settings, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool to DATABASE_URL, retrying while Postgres starts; raise Upstream naming the URL."""
    url = settings.database_url
    if not url:
        raise Upstream("DATABASE_URL is not set and no embedded Postgres was started")
    last: BaseException | None = None
    for attempt in range(1, settings.connect_retries + 1):
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                command_timeout=60,
                reset=keep_session,
                connection_class=Connection,
            )
            assert pool is not None
            return pool
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            last = exc
            log.warning(
                "postgres not reachable yet",
                extra={"url": mask_url(url), "attempt": attempt, "error": str(exc) or type(exc).__name__},
            )
            await asyncio.sleep(settings.connect_retry_delay_s * min(attempt, 5))
    raise Upstream(
        f"cannot reach Postgres at {mask_url(url)} after {settings.connect_retries} attempts: "
        f"{last or 'unknown error'}",
        url=mask_url(url),
    )


async def close_pool(pool: asyncpg.Pool, *, timeout: float = POOL_CLOSE_S) -> None:
    """Close the pool, waiting at most `timeout` for connections still in use; then drop them. asyncpg's close
    waits for each to be released, and one cancelled on a hung Postgres is released only after its cancel
    request times out (the command timeout): a stopping process would wait that long for nothing."""
    try:
        await asyncio.wait_for(pool.close(), timeout=timeout)
    except TimeoutError:
        log.warning("postgres pool not closed in time; dropping its connections", extra={"timeout_s": timeout})
        pool.terminate()


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file from core/migrations."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("core.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found


async def migrate(pool: asyncpg.Pool) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; return the names applied."""
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("select pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await conn.execute(
                """create table if not exists schema_migrations (
                       version integer primary key,
                       name text not null,
                       applied_at timestamptz not null default now())"""
            )
            done = {r["version"] for r in await conn.fetch("select version from schema_migrations")}
            for migration in load_migrations():
                if migration.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "insert into schema_migrations (version, name) values ($1, $2)",
                        migration.version,
                        migration.name,
                    )
                log.info("applied migration", extra={"migration": migration.name})
                applied.append(migration.name)
        finally:
            await conn.execute("select pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied


async def applied_versions(pool: asyncpg.Pool) -> list[int]:
    rows = await pool.fetch("select version from schema_migrations order by version")
    return [r["version"] for r in rows]

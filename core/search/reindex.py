"""Rebuild the search index from Postgres into a new generation, swap it in, then catch up on changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.bus import Bus
from core.documents import changed_since, current_changes
from core.errors import Upstream
from core.search.engine import SearchEngine
from core.search.projection import INDEXED_WHERE, NOT_INDEXED_KINDS, PROJECTION_SELECT, index_docs, to_index_doc

log = logging.getLogger(__name__)

Progress = Callable[[int], None]

# The earliest start among the transactions still running: a change they commit later carries a
# last_changed before our own now() and yet is invisible to the snapshot the rebuild reads.
_REBUILD_START = """
    select least(now(), coalesce((select min(xact_start) from pg_stat_activity
                                  where datname = current_database() and pid <> pg_backend_pid()), now()))
"""


@dataclass(frozen=True)
class ReindexResult:
    """What a rebuild did: documents written to the new index, and the catch-up after the swap."""

    indexed: int
    caught_up: int
    handed_over: int
    started_at: datetime
    seconds: float


async def count_indexable(pool: asyncpg.Pool) -> int:
    """How many documents a rebuild will write (for a progress bar's total)."""
    sql = "select count(*) from live_documents d" + INDEXED_WHERE
    return int(await pool.fetchval(sql, list(NOT_INDEXED_KINDS)))


async def rebuild(
    pool: asyncpg.Pool,
    engine: SearchEngine,
    *,
    batch_size: int = 500,
    progress: Progress | None = None,
    bus: Bus | None = None,
) -> ReindexResult:
    """Stream every indexable row into a new index, swap it in, then re-project what changed meanwhile.

    Readers keep answering from the old index until the swap. A projector running in another process
    keeps writing the old index during the rebuild, so after the swap every document whose
    last_changed is at or after the rebuild's start is projected again (see `catch_up`).
    """
    clock = time.perf_counter()
    started_at: datetime = await pool.fetchval(_REBUILD_START)
    handle = await engine.begin_rebuild()
    indexed = 0
    try:
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            batch = []
            cursor = conn.cursor(PROJECTION_SELECT + INDEXED_WHERE, list(NOT_INDEXED_KINDS), prefetch=batch_size)
            async for row in cursor:
                batch.append(to_index_doc(row))
                if len(batch) >= batch_size:
                    await handle.upsert(batch)
                    indexed += len(batch)
                    if progress:
                        progress(len(batch))
                    batch = []
            await handle.upsert(batch)
            indexed += len(batch)
            if progress and batch:
                progress(len(batch))
        await handle.commit_and_swap()
    except BaseException:
        await handle.abort()
        raise
    caught_up, handed_over = await catch_up(pool, engine, since=started_at, bus=bus, batch_size=batch_size)
    seconds = time.perf_counter() - clock
    log.info("search index rebuilt", extra={"indexed": indexed, "caught_up": caught_up, "seconds": round(seconds, 1)})
    return ReindexResult(indexed, caught_up, handed_over, started_at, seconds)


async def catch_up(
    pool: asyncpg.Pool, engine: SearchEngine, *, since: datetime, bus: Bus | None, batch_size: int = 500
) -> tuple[int, int]:
    """Project again every document changed at or after `since`; returns (written, handed over).

    The catch-up writes the live index itself. When that index is locked because the consumers
    process already holds its one writer, the documents are announced again on the bus instead
    (same version, a fresh message id), so that writer projects them from their current rows.
    """
    ids = await changed_since(pool, since)
    written = handed = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        upserts, deletes = await index_docs(pool, chunk)
        try:
            if deletes:
                await engine.delete(deletes)
            if upserts:
                await engine.upsert(upserts)
            written += len(chunk)
        except Upstream as exc:
            if bus is None:
                raise
            log.info("live index busy; handing the catch-up to the projector", extra={"error": exc.message})
            handed += await _announce(pool, bus, ids[start:], token=f"{since.timestamp():.6f}")
            break
    return written, handed


async def _announce(pool: asyncpg.Pool, bus: Bus, ids: Sequence[str], *, token: str) -> int:
    events = await current_changes(pool, ids)
    for event in events:
        # Not event.key: JetStream would drop it as a duplicate of the change it repeats.
        headers = {"Nats-Msg-Id": f"reproject:{token}:{event.document_id}:{event.version}"}
        await bus.js.publish(event.subject, event.encode(), headers=headers, timeout=10)
    return len(events)

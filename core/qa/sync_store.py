"""SQL of knowledge-base syncs: the runs (qa_sync_runs) and the state of the pairs a connector owns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

RUN_COLUMNS = """id, connector, source, trigger, status, queued_at, started_at, finished_at, seen, added, changed,
    retired, revived, unchanged, rejected, rejections::text as rejections, error"""
STALE_QUEUED = timedelta(days=1)  # a queued run no worker took within this is given up


async def owned_pairs(pool: asyncpg.Pool, source: str) -> dict[str, tuple[str, str]]:
    """id → (content hash, status) of every pair the connector stored, retired ones too."""
    rows = await pool.fetch("select id, content_hash, status from qa_pairs where source = $1", source)
    return {r["id"]: (r["content_hash"], r["status"]) for r in rows}


async def retire(conn: asyncpg.Connection, ids: Sequence[str], source: str) -> int:
    """Retire the connector's active pairs named (in the caller's transaction); how many were."""
    if not ids:
        return 0
    seq = await conn.fetchval("update qa_state set version = version + 1 returning version")
    done = await conn.execute(
        """update qa_pairs set status = 'retired', seq = $3, version = version + 1, updated_at = now(),
                  content_hash = 'retired:' || content_hash
           where id = any($1::text[]) and source = $2 and status = 'active'""",
        list(ids),
        source,
        seq,
    )
    return int(done.split()[-1])


async def queue_run(pool: asyncpg.Pool, *, connector: str, source: str, trigger: str, now: datetime) -> int:
    return int(
        await pool.fetchval(
            "insert into qa_sync_runs (connector, source, trigger, queued_at) values ($1, $2, $3, $4) returning id",
            connector,
            source,
            trigger,
            now,
        )
    )


async def last_queued(pool: asyncpg.Pool, connector: str) -> datetime | None:
    return await pool.fetchval("select max(queued_at) from qa_sync_runs where connector = $1", connector)


async def run_status(pool: asyncpg.Pool, run_id: int) -> str | None:
    return await pool.fetchval("select status from qa_sync_runs where id = $1", run_id)


async def give_up_dead_runs(pool: asyncpg.Pool, connector: str, now: datetime) -> int:
    """Runs left 'running' by a process that died (the caller holds the connector's lock, so none is alive),
    and runs queued long ago that no worker took: marked failed."""
    done = await pool.execute(
        """update qa_sync_runs set status = 'failed', finished_at = $2,
                  error = case when status = 'running' then 'interrupted: the sync stopped before it finished'
                               else 'never started' end
           where connector = $1 and (status = 'running' or (status = 'queued' and queued_at < $3))""",
        connector,
        now,
        now - STALE_QUEUED,
    )
    return int(done.split()[-1])


async def start_run(pool: asyncpg.Pool, run_id: int, now: datetime) -> None:
    await pool.execute("update qa_sync_runs set status = 'running', started_at = $2 where id = $1", run_id, now)


async def finish_run(pool: asyncpg.Pool, run_id: int, now: datetime, counts: dict[str, Any], error: str = "") -> None:
    """Record how a run ended: its counts, the first rejections, and the error when it failed."""
    await pool.execute(
        """update qa_sync_runs set status = $3, finished_at = $2, seen = $4, added = $5, changed = $6,
                  retired = $7, revived = $8, unchanged = $9, rejected = $10, rejections = $11::jsonb, error = $12
           where id = $1""",
        run_id,
        now,
        "failed" if error else "done",
        counts["seen"],
        counts["added"],
        counts["changed"],
        counts["retired"],
        counts["revived"],
        counts["unchanged"],
        counts["rejected"],
        json.dumps(counts["rejections"], ensure_ascii=False),
        error,
    )


async def recent_runs(pool: asyncpg.Pool, connector: str, limit: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f"select {RUN_COLUMNS} from qa_sync_runs where connector = $1 order by queued_at desc, id desc limit $2",
        connector,
        limit,
    )
    return [dict(r) | {"rejections": json.loads(r["rejections"])} for r in rows]

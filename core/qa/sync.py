"""Sync the 12345 hotline knowledge base into the pairs: new rows added, changed ones edited, rows gone from the
source retired (kept, and revived when they come back). Idempotent and crash-safe: every step reads the stored
state again, so a run that died half-way loses nothing and the next one converges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import dramatiq

from core.errors import Conflict, Invalid, YiwangError
from core.jobs import SYNC_HOTLINE, send
from core.qa import store, sync_store
from core.qa.hotline import SOURCE, HotlineSource, pair_of_row, source_of
from core.qa.models import QaPair
from core.settings import Settings

log = logging.getLogger(__name__)
CONNECTOR = "hotline"
SYNC_LOCK = 0x59_57_51_48  # "YWQH": one hotline sync at a time, across processes
BATCH = 500  # pairs written per transaction
MAX_REJECTIONS_KEPT = 50


@dataclass(frozen=True, kw_only=True)
class SyncRun:
    """A recorded sync: when, from where, how it ended and what it did."""

    id: int
    connector: str
    source: str
    trigger: str
    status: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seen: int
    added: int
    changed: int
    retired: int
    revived: int
    unchanged: int
    rejected: int
    rejections: list[dict[str, Any]]
    error: str


@dataclass
class SyncSummary:
    """What one sync did; `rejections` holds (row number, reason) for every malformed row skipped."""

    run_id: int = 0
    seen: int = 0
    added: int = 0
    changed: int = 0
    retired: int = 0
    revived: int = 0
    unchanged: int = 0
    rejections: list[tuple[int, str]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        kept = [{"row": n, "reason": reason} for n, reason in self.rejections[:MAX_REJECTIONS_KEPT]]
        names = ("seen", "added", "changed", "retired", "revived", "unchanged")
        return {n: getattr(self, n) for n in names} | {"rejected": len(self.rejections), "rejections": kept}


def _valid_pairs(rows: Sequence[tuple[int, dict[str, Any] | Exception]], summary: SyncSummary) -> list[QaPair]:
    pairs: dict[str, QaPair] = {}
    first_row: dict[str, int] = {}
    for n, record in rows:
        summary.seen += 1
        try:
            if isinstance(record, Exception):
                raise record
            pair = pair_of_row(record)
            if pair.id in pairs:
                raise Invalid(f"id {pair.id.removeprefix('hotline-')!r} was already given in row {first_row[pair.id]}")
        except Invalid as exc:
            summary.rejections.append((n, exc.message))
            continue
        pairs[pair.id], first_row[pair.id] = pair, n
    return list(pairs.values())


async def _apply(pool: asyncpg.Pool, pairs: list[QaPair], summary: SyncSummary) -> None:
    """Write what is new or changed (in batches, each committed alone), then retire what the source dropped."""
    stored = await sync_store.owned_pairs(pool, SOURCE)
    writes: list[QaPair] = []
    for pair in pairs:
        known = stored.get(pair.id)
        if known is None:
            summary.added += 1
        elif known[1] != "active":
            summary.revived += 1
        elif known[0] != store.content_hash(pair):
            summary.changed += 1
        else:
            summary.unchanged += 1
            continue
        writes.append(pair)
    for start in range(0, len(writes), BATCH):
        async with pool.acquire() as conn, conn.transaction():
            await store.upsert_pairs(conn, writes[start : start + BATCH])
    keep = {p.id for p in pairs}
    gone = [pid for pid, (_, status) in stored.items() if status == "active" and pid not in keep]
    async with pool.acquire() as conn, conn.transaction():
        summary.retired = await sync_store.retire(conn, gone, SOURCE)


async def sync_hotline(
    *, pool: asyncpg.Pool, source: HotlineSource, now: datetime, trigger: str = "cli", run_id: int | None = None
) -> SyncSummary:
    """One sync, recorded as a run (`run_id`: the queued run the scheduler made). CONFLICT while another runs;
    a source that cannot be read or holds no valid row changes nothing (the run is recorded as failed)."""
    async with pool.acquire() as lock:
        if not await lock.fetchval("select pg_try_advisory_lock($1)", SYNC_LOCK):
            raise Conflict("a hotline sync is running already; try again when it has finished")
        try:
            await sync_store.give_up_dead_runs(pool, CONNECTOR, now)
            if run_id is None or await sync_store.run_status(pool, run_id) != "queued":
                run_id = await sync_store.queue_run(
                    pool, connector=CONNECTOR, source=source.name, trigger=trigger, now=now
                )
            return await _run(pool, source, run_id, now)
        finally:
            await lock.execute("select pg_advisory_unlock($1)", SYNC_LOCK)


async def _run(pool: asyncpg.Pool, source: HotlineSource, run_id: int, now: datetime) -> SyncSummary:
    summary = SyncSummary(run_id=run_id)
    await sync_store.start_run(pool, run_id, now)
    try:
        pairs = _valid_pairs(await source.rows(), summary)
        if not pairs:
            raise Invalid(f"{source.name} holds no valid row: nothing was changed (a sync never retires everything)")
        await _apply(pool, pairs, summary)
    except YiwangError as exc:
        await sync_store.finish_run(pool, run_id, now, summary.counts(), error=exc.message)
        raise
    await sync_store.finish_run(pool, run_id, now, summary.counts())
    log.info(
        "hotline sync done", extra={"run": run_id, **{k: v for k, v in summary.counts().items() if k != "rejections"}}
    )
    return summary


async def run_queued(*, pool: asyncpg.Pool, settings: Settings, run_id: int, now: datetime) -> SyncSummary | None:
    """The job's body: the queued run `run_id` (a new run when that one died); None when it is done already
    (a redelivered message) or HOTLINE_SOURCE was unset meanwhile."""
    if await sync_store.run_status(pool, run_id) == "done" or not settings.hotline_source:
        return None
    return await sync_hotline(
        pool=pool, source=source_of(settings.hotline_source), now=now, trigger="schedule", run_id=run_id
    )


async def enqueue_due(*, pool: asyncpg.Pool, broker: dramatiq.Broker, settings: Settings, now: datetime) -> int | None:
    """The scheduler's part: queue a sync when HOTLINE_SOURCE is set and none was queued within
    HOTLINE_SYNC_INTERVAL_S; the run's id, or None when none is due."""
    if not settings.hotline_source:
        return None
    last = await sync_store.last_queued(pool, CONNECTOR)
    if last is not None and (now - last).total_seconds() < settings.hotline_sync_interval_s:
        return None
    run_id = await sync_store.queue_run(
        pool, connector=CONNECTOR, source=source_of(settings.hotline_source).name, trigger="schedule", now=now
    )
    await asyncio.to_thread(send, broker, SYNC_HOTLINE, run_id)
    return run_id


async def recent_runs(*, pool: asyncpg.Pool, limit: int) -> list[SyncRun]:
    """The latest runs, newest first."""
    return [SyncRun(**row) for row in await sync_store.recent_runs(pool, CONNECTOR, limit)]

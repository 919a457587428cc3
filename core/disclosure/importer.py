"""Bulk import of CSV and XLSX files for one unit or a whole district: idempotent by external id, every bad row
reported with its line and reason, good rows kept, each row applied whole or not at all (docs/disclosure.md)."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

import asyncpg

from core.bus import Bus
from core.clock import local_date
from core.disclosure import import_apply as apply
from core.disclosure import store
from core.disclosure.fund_publication import announce_funds
from core.disclosure.hierarchy import check_code
from core.disclosure.import_checks import Checked, Checker, ImportReport, RowError, check_rows
from core.disclosure.models import Item
from core.disclosure.publication import announce, unit_names
from core.disclosure.readers import RawRow, read_file
from core.disclosure.rows import KINDS, check_columns, column, detect_kind
from core.disclosure.units import UnitRow, add_units
from core.errors import Invalid, YiwangError

log = logging.getLogger(__name__)
BATCH = 10000  # rows read, checked and written together: one COPY and a few statements per batch
FIRST_BATCH = 2000  # the first batch: Postgres waits for it
IN_FLIGHT = 2  # batches written at once (measured: 1 left Postgres idle a fifth of the time, 3 gained nothing)
CHECK_CHUNK = 200  # rows checked between two chances for the batch being written to send its next statement


@dataclass
class Run:
    """One import: where it writes, what it imports, when, by whom, whether it announces."""

    pool: asyncpg.Pool
    kind: str
    now: datetime
    by: str
    announce: bool
    report: ImportReport
    base_url: str | None = None  # items and fund projects become documents too (search) when given
    names: dict[str, str] | None = None  # unit code -> name, for the documents' text
    guess_new: bool = True  # items: every batch so far was all new, so the next one is inserted without a lookup


async def _apply(run: Run, conn: asyncpg.Connection, batch: apply.Batch) -> apply.Outcome:
    if run.kind == "items":
        return await apply.apply_items(conn, batch, now=run.now, by=run.by, announce=run.announce)
    if run.kind == "funds":
        return await apply.apply_funds(conn, batch.rows, today=local_date(run.now))
    if run.kind == "spending":
        return await apply.apply_spending(conn, batch.rows)
    return await apply.apply_assets(conn, batch.rows)


Owed = tuple[list[tuple[Item, str]], list[UUID]]  # after commit: item changes to announce, fund pages to send


async def _batch(run: Run, lines: list[int], batch: apply.Batch) -> Owed:
    """One transaction for the batch (`lines`: each row's line); if any row fails, each half again in its own, down
    to single rows (their errors reported): the outcome is that of row by row, at the cost of a few transactions
    per bad row."""
    try:
        async with run.pool.acquire() as conn, conn.transaction():
            outcome = await _apply(run, conn, batch)
        run.report.add(outcome)
        if outcome.unchanged or outcome.updated or (run.guess_new and not batch.new):
            run.guess_new = False  # stored rows turned up (or the batch was split): look every batch up first
        return outcome.announcements, outcome.funds
    except (YiwangError, asyncpg.PostgresError) as exc:
        if len(lines) == 1:
            reason = exc.message if isinstance(exc, YiwangError) else f"refused by the database: {exc}"
            run.report.errors.append(RowError(lines[0], reason))
            return [], []
    half = len(lines) // 2
    first, second = batch.halves(half)
    (changes, funds), (more_changes, more_funds) = (
        await _batch(run, lines[:half], first),
        await _batch(run, lines[half:], second),
    )
    return changes + more_changes, funds + more_funds


async def import_file(
    *,
    pool: asyncpg.Pool,
    bus: Bus | None,
    path: Path,
    now: datetime,
    scope: str | None = None,
    kind: str | None = None,
    by: str = "import",
    progress: Callable[[int], None] | None = None,
    base_url: str | None = None,
) -> ImportReport:
    """Import one file; `scope` (a unit code) refuses rows of units outside it. Items are published as imported
    and announced (DisclosurePublished) when `bus` is given."""
    sheet = read_file(path, rename=column)
    columns = {h for h in sheet.header if h}
    kind = kind or detect_kind(columns)
    if kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    check_columns(kind, columns)
    if scope is not None:
        scope = check_code(scope, where="--unit")
        if await store.get_unit(pool, scope) is None:
            raise Invalid(f"unknown unit code {scope}")
    report = ImportReport(kind=kind, encoding=sheet.encoding)
    checker = Checker(known=await store.all_unit_codes(pool), scope=scope, today=local_date(now))
    if kind == "units":
        await _units(pool, check_rows(kind, sheet.rows, checker, report).values, report, progress)
    else:
        names = await unit_names(pool, checker.known) if bus is not None and base_url is not None else None
        run = Run(pool, kind, now, by, bus is not None, report, base_url, names)
        await _pipeline(run, sheet.rows, checker, bus, progress)
    report.encoding = sheet.encoding  # "mixed" once a line needed the other encoding
    report.errors.sort(key=lambda e: e.line)
    log.info("disclosure import", extra={"file": path.name, "kind": kind, "rows": report.rows})
    return report


async def _pipeline(
    run: Run, rows: Iterator[RawRow], checker: Checker, bus: Bus | None, progress: Callable[[int], None] | None
) -> None:
    """Read, check and prepare batch k+1 while batches k-1 and k are written: reading and checking are Python's work,
    writing Postgres's, and they overlap on two cores. All of it runs on the event loop, the checking yielding to
    the writers every CHECK_CHUNK rows so that each statement goes out as soon as the one before returns (a thread
    for the checking measured slower: it fights the writers for the GIL). Two batches in flight keep Postgres busy
    while one of them waits on Python (encoding its COPY, committing); they cannot deadlock (roll-up rows are
    locked in key order) and the second waits for the first's roll-up rows, so they commit in file order (unless
    one is split after an error). The first batch is small, so that Postgres starts early."""
    writing: collections.deque[asyncio.Task[Owed]] = collections.deque()
    try:
        while True:
            read, good = await _next_batch(run, rows, checker, BATCH if run.report.rows else FIRST_BATCH)
            batch = apply.prepare(run.kind, good.values, new=run.guess_new)
            while len(writing) >= IN_FLIGHT or (writing and not read):
                await _announce(run, bus, await writing.popleft())
            if not read:
                return
            writing.append(asyncio.create_task(_batch(run, good.lines, batch)))
            if progress:
                progress(read)
    finally:  # an error: the batches still in flight roll back
        for task in writing:
            task.cancel()
        await asyncio.gather(*writing, return_exceptions=True)


async def _next_batch(run: Run, rows: Iterator[RawRow], checker: Checker, size: int) -> tuple[int, Checked]:
    """Up to `size` rows read and checked: how many were read, and the good ones."""
    read, good = 0, Checked()
    while read < size:
        before = run.report.rows
        more = check_rows(run.kind, rows, checker, run.report, min(CHECK_CHUNK, size - read))
        if run.report.rows == before:
            break
        read += run.report.rows - before
        good.lines += more.lines
        good.values += more.values
        await asyncio.sleep(0)  # the writers' next statements
    return read, good


async def _announce(run: Run, bus: Bus | None, owed: Owed) -> None:
    """After a batch's commit, never inside it: its items announced (and their pages sent), and with `base_url`
    the pages of the fund projects it created or changed, so search finds them at once (fund_publication)."""
    changes, funds = owed
    if bus is None:
        return
    if changes:
        await announce(pool=run.pool, bus=bus, changes=changes, now=run.now, base_url=run.base_url, names=run.names)
    if funds and run.base_url is not None:
        await announce_funds(
            pool=run.pool, bus=bus, fund_ids=funds, base_url=run.base_url, now=run.now, names=run.names
        )


async def _units(
    pool: asyncpg.Pool, rows: list[UnitRow], report: ImportReport, progress: Callable[[int], None] | None
) -> None:
    before = await store.all_unit_codes(pool)
    await add_units(pool=pool, rows=rows)
    fresh = {r.code.strip() for r in rows} - before
    report.created += len(fresh)
    report.unchanged += len(rows) - len(fresh)
    if progress:
        progress(len(rows))

"""Bulk import of CSV and XLSX files for one unit or a whole district: idempotent by external id, every bad row
reported with its line and reason, good rows kept, each row applied whole or not at all (docs/disclosure.md)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from core.bus import Bus
from core.clock import local_date
from core.disclosure import import_apply as apply
from core.disclosure import store
from core.disclosure.hierarchy import check_code, is_under, level_of
from core.disclosure.models import Item
from core.disclosure.publication import announce, unit_names
from core.disclosure.readers import RawRow, read_file
from core.disclosure.rows import BUILDERS, KINDS, check_columns, column, detect_kind
from core.disclosure.units import UnitRow, add_units
from core.errors import Invalid, YiwangError

log = logging.getLogger(__name__)
BATCH = 10000  # rows read, checked and written together: one COPY and a few statements per batch


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import read, created, changed and refused."""

    kind: str
    encoding: str
    rows: int = 0  # data rows read
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, outcome: apply.Outcome) -> None:
        self.created += outcome.created
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged


@dataclass
class Checker:
    """Checks of a row beyond its own values: known units, the township it names, the import's scope, and
    external ids seen earlier in the same file."""

    known: set[str]
    scope: str | None
    seen: dict[str, int] = field(default_factory=dict)

    def unit(self, code: str, cells: dict[str, Any]) -> None:
        if code not in self.known:
            raise Invalid(f"unknown unit code {code}")
        township = str(cells.get("township_code") or "").strip()
        if township:
            township = check_code(township, where="township code")
            if level_of(code) != "村社区" or not is_under(code, township):
                raise Invalid(f"unit {code} is not under township {township}: a village under the wrong township")
        if self.scope and not is_under(code, self.scope):
            raise Invalid(f"unit {code} is not under {self.scope}, the unit this import is for")

    def external(self, ext: str | None, line: int) -> None:
        if not ext:
            raise Invalid("the external id is empty: an import needs one per row, so importing again updates")
        if ext in self.seen:
            raise Invalid(f"external id {ext} appears again (first on line {self.seen[ext]}): only the first is kept")
        self.seen[ext] = line


def _checked(kind: str, raw: RawRow, checker: Checker) -> Any:
    cells = raw.cells
    built = BUILDERS[kind](cells)
    if kind == "units":
        unit = built.check()
        if checker.scope and not is_under(unit.code, checker.scope):
            raise Invalid(f"unit {unit.code} is not under {checker.scope}, the unit this import is for")
        if unit.parent_code and unit.parent_code not in checker.known:
            raise Invalid(f"{unit.level} {unit.code}: its parent {unit.parent_code} is not a known unit")
        checker.known.add(unit.code)
        return built
    draft = built[1] if kind == "spending" else built
    values = draft.check()
    checker.external(values["external_id"], raw.line)
    if kind != "spending":
        checker.unit(values["unit_code"], cells)
        return values
    return built[0], values


def check_rows(kind: str, rows: Iterable[RawRow], checker: Checker, report: ImportReport) -> list[tuple[int, Any]]:
    good = []
    for raw in rows:
        report.rows += 1
        if raw.error:
            report.errors.append(RowError(raw.line, raw.error))
            continue
        try:
            good.append((raw.line, _checked(kind, raw, checker)))
        except YiwangError as exc:
            report.errors.append(RowError(raw.line, exc.message))
    return good


@dataclass(frozen=True)
class Run:
    """One import's fixed parts: where it writes, what it imports, when, by whom, whether it announces."""

    pool: asyncpg.Pool
    kind: str
    now: datetime
    by: str
    announce: bool
    report: ImportReport
    base_url: str | None = None  # items become documents too (search) when given
    names: dict[str, str] | None = None  # unit code -> name, for the documents' text


async def _apply(run: Run, conn: asyncpg.Connection, values: list[Any]) -> apply.Outcome:
    if run.kind == "items":
        return await apply.apply_items(conn, values, now=run.now, by=run.by, announce=run.announce)
    if run.kind == "funds":
        return await apply.apply_funds(conn, values, today=local_date(run.now))
    if run.kind == "spending":
        return await apply.apply_spending(conn, values)
    return await apply.apply_assets(conn, values)


async def _batch(run: Run, batch: list[tuple[int, Any]]) -> list[tuple[Item, str]]:
    """One transaction for the batch; if any row fails, each half again in its own, down to single rows (their
    errors reported): the outcome is that of row by row, at the cost of a few transactions per bad row."""
    try:
        async with run.pool.acquire() as conn, conn.transaction():
            outcome = await _apply(run, conn, [v for _, v in batch])
        run.report.add(outcome)
        return outcome.announcements
    except (YiwangError, asyncpg.PostgresError) as exc:
        if len(batch) == 1:
            reason = exc.message if isinstance(exc, YiwangError) else f"refused by the database: {exc}"
            run.report.errors.append(RowError(batch[0][0], reason))
            return []
    half = len(batch) // 2
    return await _batch(run, batch[:half]) + await _batch(run, batch[half:])


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
    checker = Checker(known=await store.all_unit_codes(pool), scope=scope)
    if kind == "units":
        good = check_rows(kind, sheet.rows, checker, report)
        await _units(pool, good, report, progress)
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
    """Read and check batch k+1 in a thread while batch k is written: reading and checking are Python's work,
    writing Postgres's, and the two overlap on two cores. Batches are written one at a time, in file order (two
    writers at once measured no faster on two shared cores, docs/disclosure.md)."""
    writing: asyncio.Task[list[tuple[Item, str]]] | None = None

    def next_batch() -> tuple[int, list[tuple[int, Any]]]:
        chunk = list(itertools.islice(rows, BATCH))
        return len(chunk), check_rows(run.kind, chunk, checker, run.report)

    while True:
        read, good = await asyncio.to_thread(next_batch)
        if writing is not None:
            await _announce(run, bus, await writing)
            writing = None
        if not read:
            return
        writing = asyncio.create_task(_batch(run, good))
        if progress:
            progress(read)


async def _announce(run: Run, bus: Bus | None, changes: list[tuple[Item, str]]) -> None:
    if bus is not None and changes:
        await announce(pool=run.pool, bus=bus, changes=changes, now=run.now, base_url=run.base_url, names=run.names)


async def _units(
    pool: asyncpg.Pool, good: list[tuple[int, Any]], report: ImportReport, progress: Callable[[int], None] | None
) -> None:
    rows: list[UnitRow] = [r for _, r in good]
    before = await store.all_unit_codes(pool)
    await add_units(pool=pool, rows=rows)
    fresh = {r.code.strip() for r in rows} - before
    report.created += len(fresh)
    report.unchanged += len(rows) - len(fresh)
    if progress:
        progress(len(rows))

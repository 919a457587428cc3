"""Checking import rows before they are written: each row's own values (rows.py), then what a row depends on — known
units, the township it names, the import's scope, external ids seen earlier in the file — and what an import
reports (docs/disclosure.md, "Import")."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from core.disclosure.bulk_store import time_ordered_ids
from core.disclosure.hierarchy import check_code, is_under, level_of
from core.disclosure.readers import RawRow
from core.disclosure.rows import BUILDERS, ItemRows, text_of
from core.errors import Invalid, YiwangError

if TYPE_CHECKING:
    from core.disclosure.import_apply import Outcome


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

    def add(self, outcome: Outcome) -> None:
        self.created += outcome.created
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged


@dataclass
class Checker:
    """Checks of a row beyond its own values: known units, the township it names, the import's scope, external
    ids seen earlier in the same file, and `today` (Beijing's date of the import: a payment is not in the future)."""

    known: set[str]
    scope: str | None
    today: date | None = None
    seen: dict[str, int] = field(default_factory=dict)
    items: ItemRows | None = None  # the item checks of this file's header
    units_seen: dict[tuple[str, str], str] = field(default_factory=dict)  # (unit, township) -> "" or the error

    def unit(self, code: str, township: str) -> None:
        """Known, under the township given (if any) and inside the scope; each (unit, township) judged once per file
        (the known units change only while a file of units is read, which never asks this)."""
        problem = self.units_seen.get((code, township))
        if problem is None:
            try:
                self._unit(code, township)
                problem = ""
            except Invalid as exc:
                problem = exc.message
            self.units_seen[(code, township)] = problem
        if problem:
            raise Invalid(problem)

    def _unit(self, code: str, township: str) -> None:
        if code not in self.known:
            raise Invalid(f"unknown unit code {code}")
        if township:
            township = check_code(township, where="township code")
            if level_of(code) != "村社区" or not is_under(code, township):
                raise Invalid(f"unit {code} is not under township {township}: a village under the wrong township")
        if self.scope and not is_under(code, self.scope):
            raise Invalid(f"unit {code} is not under {self.scope}, the unit this import is for")

    def external(self, ext: str | None, line: int) -> None:
        """Each external id once per file (`seen`: where it was first)."""
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
    values = draft.check(checker.today) if kind == "spending" else draft.check()
    checker.external(values["external_id"], raw.line)
    if kind != "spending":
        checker.unit(values["unit_code"], text_of(cells.get("township_code")))
        return values
    return built[0], values


@dataclass
class Checked:
    """The good rows of a file read so far: their lines, and their values in the same order."""

    lines: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)


def check_rows(
    kind: str, rows: Iterable[RawRow], checker: Checker, report: ImportReport, most: int | None = None
) -> Checked:
    """Up to `most` rows (all without it) taken from `rows` and checked, `report.rows` counting them."""
    good = Checked()
    if kind == "items":
        if most is None:
            rows = list(rows)
            most = len(rows)
        check_items(itertools.islice(rows, most), checker, report, most, good)
        return good
    for raw in itertools.islice(rows, most):
        report.rows += 1
        if raw.error:
            report.errors.append(RowError(raw.line, raw.error))
            continue
        try:
            value = _checked(kind, raw, checker)
        except YiwangError as exc:
            report.errors.append(RowError(raw.line, exc.message))
            continue
        good.lines.append(raw.line)
        good.values.append(value)
    return good


def check_items(rows: Iterable[RawRow], checker: Checker, report: ImportReport, most: int, good: Checked) -> None:
    """Item rows: as `_checked` checks the other kinds (the same errors in the same order), at a fraction of the
    work per row (rows.ItemRows; the checker's answers read directly when they are yes); each good row carries the
    id its item gets if it is new. The hot loop of an import: rows are taken one at a time and kept apart from
    their lines (a list of rows, or a (line, row) pair each, would outlive a garbage collection or two, and each
    full collection walks what survived)."""
    seen, units_seen, items = checker.seen, checker.units_seen, checker.items
    lines, values = good.lines, good.values
    read = 0
    for new_id, raw in zip(time_ordered_ids(most), rows, strict=False):  # ids first: zip stops before taking a row
        read += 1
        if raw.error:
            report.errors.append(RowError(raw.line, raw.error))
            continue
        try:
            if items is None or items.header is not raw.header:
                items = checker.items = ItemRows(raw.header)
            row, township = items.check(raw.values, new_id)
            if not row[1] or row[1] in seen:
                checker.external(row[1], raw.line)  # raises
            seen[row[1]] = raw.line
            if units_seen.get((row[2], township)) != "":
                checker.unit(row[2], township)
        except YiwangError as exc:
            report.errors.append(RowError(raw.line, exc.message))
            continue
        lines.append(raw.line)
        values.append(row)
    report.rows += read

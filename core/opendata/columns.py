"""Converting a table for COPY a column at a time, with the converters and errors of core.opendata.types.

A load is bound by this conversion, so it is done where Python is cheap: each distinct cell of a column is parsed
once (categories, codes, dates and small numbers repeat down a column) and the column is then mapped by C code
(`map` over a dict); a column of mostly distinct cells is converted cell by cell in one comprehension. No cell
is parsed by anything but the type's converter, so what fits a type and what a load refuses do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from core.errors import Invalid
from core.opendata.tokens import cell_text
from core.opendata.types import CONVERTERS

PROBE_CELLS = 2000  # cells looked at to tell a column of repeating values from one of distinct values
DISTINCT_SHARE = 0.5  # above this share of distinct probed cells, a column is converted cell by cell
Cells = list[str | None]


@dataclass(frozen=True, kw_only=True)
class Converted:
    """A table's typed columns and search tokens, or the first cell of each column that does not fit its type."""

    columns: list[list[Any]]
    tokens: list[str]
    misfits: dict[int, int]  # column -> index of its first row whose cell does not fit

    def records(self) -> Iterator[tuple[Any, ...]]:
        """COPY records: _id (from 1), the columns, _tokens."""
        return zip(range(1, len(self.tokens) + 1), *self.columns, self.tokens, strict=True)


def column(rows: Sequence[Sequence[str | None]], i: int) -> Cells:
    return list(map(itemgetter(i), rows))


def mostly_distinct(cells: Cells) -> bool:
    probe = cells[:: max(1, len(cells) // PROBE_CELLS)]
    return len(set(probe)) > DISTINCT_SHARE * len(probe)


def _first_misfit(cells: Cells, parse: Callable[[str], Any]) -> int:
    for n, cell in enumerate(cells):
        if cell is not None:
            try:
                parse(cell)
            except (ValueError, TypeError, OverflowError):
                return n
    raise AssertionError("a conversion failed, but no cell fails on its own")


def convert_column(cells: Cells, kind: str, missing: frozenset[str]) -> tuple[list[Any], int | None]:
    """The column's values of `kind` (missing values as None), or the index of its first cell that does not fit."""
    if kind == "string":
        return ([None if c in missing else c for c in cells] if missing else cells), None
    conv = CONVERTERS[kind]

    def parse(cell: str) -> Any:
        return None if cell in missing else conv(cell.strip())

    try:
        if mostly_distinct(cells):
            return [None if c is None else parse(c) for c in cells], None
        parsed: dict[str | None, Any] = {None: None}
        for cell in set(cells) - {None}:
            parsed[cell] = parse(cell)  # type: ignore[arg-type]
        return list(map(parsed.__getitem__, cells)), None
    except (ValueError, TypeError, OverflowError):
        return [], _first_misfit(cells, parse)


def token_column(cells: Cells) -> list[str]:
    """The search tokens of each cell of a string column ('' for an empty one)."""
    if mostly_distinct(cells):
        return [cell_text(c) if c else "" for c in cells]
    texts = {c: cell_text(c) if c else "" for c in set(cells)}
    return list(map(texts.__getitem__, cells))


def row_tokens(columns: list[list[str]], rows: int) -> list[str]:
    """The tokens of each row's string cells, in column order."""
    if not columns:
        return [""] * rows
    if len(columns) == 1:
        return columns[0]
    return [" ".join([t for t in parts if t]) for parts in zip(*columns, strict=True)]


def convert(rows: Sequence[Sequence[str | None]], schema: dict[str, Any]) -> Converted:
    """Every column converted to its type in the schema, and the rows' tokens."""
    missing = frozenset(schema.get("missingValues", [""]))
    values: list[list[Any]] = []
    misfits: dict[int, int] = {}
    tokens: list[list[str]] = []
    for i, f in enumerate(schema["fields"]):
        cells = column(rows, i)
        converted, misfit = convert_column(cells, f["type"], missing)
        values.append(converted)
        if misfit is not None:
            misfits[i] = misfit
        if f["type"] == "string":
            tokens.append(token_column(cells))
    return Converted(columns=values, tokens=row_tokens(tokens, len(rows)), misfits=misfits)


def misfit_error(
    converted: Converted, rows: Sequence[Sequence[str | None]], lines: Sequence[int], schema: dict[str, Any]
) -> Invalid:
    """The error of the first cell, in row order, that does not fit its column's type."""
    n, i = min((n, i) for i, n in converted.misfits.items())
    f, cell, line = schema["fields"][i], rows[n][i] or "", lines[n]
    return Invalid(f"line {line}: {f['name']!r} is {cell[:40]!r}, not a {f['type']}", line=line)

"""Reading import files: CSV (UTF-8, or GBK/GB18030 as many offices still save them) and XLSX, row by row with
the line each row came from; what cannot be read becomes a row error, never a silent loss."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import Invalid

ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 reads GBK and GB2312 files too
SNIFF_BYTES = 1 << 16
BAD_LINE = "\ue000"  # a private-use character no file holds: stands for a line no encoding reads


@dataclass(frozen=True, kw_only=True)
class RawRow:
    """One data row: its line (or spreadsheet row) number, its cells by header, or why it cannot be read."""

    line: int
    cells: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(kw_only=True)
class Sheet:
    """The header and the rows of a file, and how it was read. A CSV's rows are read as they are taken (a
    file of millions of rows is never all in memory); `encoding` becomes "mixed" if a line needed the other one."""

    header: list[str]
    rows: Iterator[RawRow]
    encoding: str


def _same(name: str) -> str:
    return name


def read_file(path: Path, rename: Callable[[str], str] = _same) -> Sheet:
    """CSV or XLSX by the file's suffix; Invalid for anything else or for a file without a header. Each row's
    cells are keyed by `rename` of their header (once per file, not per row)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(path, rename)
    if suffix in (".csv", ".txt"):
        return read_csv_file(path, rename)
    raise Invalid(f"{path.name}: import reads .csv and .xlsx files, not {suffix or 'files without a suffix'}")


def sniff(sample: bytes) -> str:
    """The encoding the start of a file reads in (up to its last whole line); UTF-8 when neither reads it."""
    cut = sample[: sample.rfind(b"\n") + 1] or sample
    for encoding in ENCODINGS:
        try:
            cut.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return ENCODINGS[0]


def _lines(raw_lines: Iterable[bytes], sheet: Sheet) -> Iterator[str]:
    """Each line decoded in the sniffed encoding, else the other; a line neither reads becomes BAD_LINE."""
    primary = sheet.encoding
    other = [e for e in ENCODINGS if e != primary]
    for raw in raw_lines:
        try:
            yield raw.decode(primary)
            continue
        except UnicodeDecodeError:
            pass
        for encoding in other:
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            sheet.encoding = "mixed"
            yield text
            break
        else:
            yield BAD_LINE + "\n"


def read_csv_file(path: Path, rename: Callable[[str], str] = _same) -> Sheet:
    with path.open("rb") as f:
        encoding = sniff(f.read(SNIFF_BYTES))
    handle = path.open("rb")
    return _csv_sheet(iter(handle), encoding, rename, close=handle.close)


def read_csv(data: bytes, rename: Callable[[str], str] = _same) -> Sheet:
    """A CSV already in memory (an upload); the same reading as a file's."""
    return _csv_sheet(iter(data.splitlines(keepends=True)), sniff(data[:SNIFF_BYTES]), rename, close=None)


def _csv_sheet(
    raw_lines: Iterator[bytes], encoding: str, rename: Callable[[str], str], close: Callable[[], None] | None
) -> Sheet:
    sheet = Sheet(header=[], rows=iter(()), encoding=encoding)
    reader = csv.reader(_lines(raw_lines, sheet))
    first = next(reader, None)
    if not first or first == [BAD_LINE] or not any(h.strip() for h in first):
        if close:
            close()
        raise Invalid("the file has no header line")
    sheet.header = [rename(h.strip()) for h in first]
    sheet.rows = _csv_rows(reader, sheet.header, close)
    return sheet


def _csv_rows(reader: Any, header: list[str], close: Callable[[], None] | None) -> Iterator[RawRow]:
    try:
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RawRow(line=start, error=f"not a CSV line: {exc}")
                start = reader.line_num + 1
                continue
            if cells == [BAD_LINE]:
                yield RawRow(line=start, error="the line is neither UTF-8 nor GBK text")
            elif cells and any(c.strip() for c in cells):
                yield _row(start, header, cells)
            start = reader.line_num + 1
    finally:
        if close:
            close()


def _row(number: int, header: list[str], cells: list[Any]) -> RawRow:
    if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header) :]):
        return RawRow(line=number, error=f"{len(cells)} cells but the header names {len(header)} columns")
    return RawRow(line=number, cells={h: c for h, c in zip(header, cells, strict=False) if h})


def _merged_rows(ws: Any) -> dict[int, str]:
    """Data rows a merged range covers, with the range: a merged cell leaves every row but its first empty."""
    found: dict[int, str] = {}
    for rng in ws.merged_cells.ranges:
        for row in range(max(rng.min_row, 2), rng.max_row + 1):
            found.setdefault(row, str(rng.coord))
    return found


def _formula(cells: tuple[Any, ...]) -> str | None:
    for cell in cells:
        value = cell.value
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")) or hasattr(value, "text"):
            shown = getattr(value, "text", value)
            return f"cell {cell.coordinate} holds a formula ({shown}): save the file with values, not formulas"
    return None


def read_xlsx(path: Path, rename: Callable[[str], str] = _same) -> Sheet:
    """The first sheet; merged cells and formulas are row errors (their values are not what the row shows)."""
    import openpyxl  # only imports need it

    try:
        book = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid(f"{path.name} is not a readable XLSX workbook: {exc}") from None
    ws = book.worksheets[0]
    merged = _merged_rows(ws)
    iterator: Iterator[tuple[Any, ...]] = ws.iter_rows()
    first = next(iterator, None)
    if first is None:
        raise Invalid(f"{path.name}: the first sheet is empty")
    header = [rename(str(c.value).strip()) if c.value is not None else "" for c in first]
    rows: list[RawRow] = []
    for cells in iterator:
        number = cells[0].row
        if all(c.value is None for c in cells) and number not in merged:
            continue
        if number in merged:
            rows.append(RawRow(line=number, error=f"cells {merged[number]} are merged: give every row its own values"))
            continue
        if problem := _formula(cells):
            rows.append(RawRow(line=number, error=problem))
            continue
        rows.append(_row(number, header, ["" if c.value is None else c.value for c in cells]))
    return Sheet(header=header, rows=iter(rows), encoding="xlsx")

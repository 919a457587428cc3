"""Reading import files: CSV (UTF-8, or GBK/GB18030 as many offices still save them) and XLSX, row by row with
the line each row came from; what cannot be read becomes a row error, never a silent loss."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from core.errors import Invalid
from core.textzh.charsets import ENCODINGS

SNIFF_BYTES = 1 << 16
BLOCK_BYTES = 1 << 20  # CSV bytes decoded at once
# line ends of str.splitlines besides "\n" and "\r\n" (a lone "\r" aside): each looked for with `in`, which is
# ten times faster than one regular expression over a block of Chinese text
ODD_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
BAD_LINE = "\ue000"  # a private-use character no file holds: stands for a line no encoding reads


class RawRow:
    """One data row: its line (or spreadsheet row) number, its cells in header order, or why it cannot be read.
    A plain class with slots: an import makes one per row, and a named tuple or a frozen dataclass costs more than
    twice as much."""

    __slots__ = ("error", "header", "line", "values")

    def __init__(
        self, line: int, values: Sequence[Any] = (), header: Sequence[str] = (), error: str | None = None
    ) -> None:
        self.line, self.values, self.header, self.error = line, values, header, error

    @property
    def cells(self) -> dict[str, Any]:
        """The cells by header name (a later column of the same name wins; unnamed columns are left out)."""
        return {h: c for h, c in zip(self.header, self.values, strict=False) if h}


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


def _decoded(raw: bytes, primary: str, sheet: Sheet) -> str:
    """One line in the sniffed encoding, else the other; a line neither reads becomes BAD_LINE."""
    try:
        return raw.decode(primary)
    except UnicodeDecodeError:
        pass
    for encoding in ENCODINGS:
        if encoding == primary:
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        sheet.encoding = "mixed"
        return text
    return BAD_LINE + "\n"


class Block(NamedTuple):
    """Whole lines of a file, each with its "\n"; `plain` when no line holds a quote, a NUL or a line end other than
    "\n" / "\r\n": then splitting each line at "," reads it as the csv module does, five times faster."""

    lines: list[str]
    plain: bool


def _split(text: str) -> Block:
    """A decoded block's lines. str.splitlines (in C) also ends a line at a lone "\r", "\u2028" and a few more that
    a cell may hold, so it is used only when the block has none of them."""
    if not any(c in text for c in ODD_BREAKS) and ("\r" not in text or text.count("\r") == text.count("\r\n")):
        return Block(text.splitlines(keepends=True), '"' not in text and "\0" not in text)
    lines = text.split("\n")
    lines.pop()  # the empty string after the block's last "\n"
    return Block([line + "\n" for line in lines], False)


def _line_blocks(blocks: Iterable[bytes], sheet: Sheet) -> Iterator[Block]:
    """The file's lines, a block of whole lines at a time, decoded at once in the sniffed encoding; a block that does
    not decode is decoded line by line (each in the sniffed encoding, else the other). Neither encoding has a "\n"
    byte inside a character, so cutting at "\n" never splits one."""
    primary = sheet.encoding
    first, rest = primary, "utf-8" if primary == "utf-8-sig" else primary  # a BOM only at the file's start
    tail = b""
    for block in blocks:
        cut = block.rfind(b"\n") + 1
        if not cut:
            tail += block
            continue
        whole, tail = tail + block[:cut], block[cut:]
        try:
            yield _split(whole.decode(first))
        except UnicodeDecodeError:
            raws = whole.split(b"\n")
            raws.pop()
            yield Block([_decoded(raw + b"\n", primary, sheet) for raw in raws], False)
        first = rest
    if tail:
        yield Block([_decoded(tail, primary, sheet)], False)


def read_csv_file(path: Path, rename: Callable[[str], str] = _same) -> Sheet:
    with path.open("rb") as f:
        encoding = sniff(f.read(SNIFF_BYTES))
    handle = path.open("rb")
    return _csv_sheet(iter(lambda: handle.read(BLOCK_BYTES), b""), encoding, rename, close=handle.close)


def read_csv(data: bytes, rename: Callable[[str], str] = _same) -> Sheet:
    """A CSV already in memory (an upload); the same reading as a file's."""
    blocks = (data[i : i + BLOCK_BYTES] for i in range(0, len(data), BLOCK_BYTES))
    return _csv_sheet(blocks, sniff(data[:SNIFF_BYTES]), rename, close=None)


def _csv_sheet(
    blocks: Iterator[bytes], encoding: str, rename: Callable[[str], str], close: Callable[[], None] | None
) -> Sheet:
    sheet = Sheet(header=[], rows=iter(()), encoding=encoding)
    parts = _line_blocks(blocks, sheet)
    block = next(parts, Block([], False))
    reader = None
    if block.plain:  # the header and the lines after it split at ","
        first: list[str] | None = _cells(block.lines[0])
        block = Block(block.lines[1:], True)
    else:
        reader = csv.reader(_all_lines(block, parts))
        first = next(reader, None)
    if not first or first == [BAD_LINE] or not any(h.strip() for h in first):
        if close:
            close()
        raise Invalid("the file has no header line")
    sheet.header = [rename(h.strip()) for h in first]
    sheet.rows = _csv_rows(sheet.header, block, parts, reader, close)
    return sheet


def _all_lines(block: Block, rest: Iterator[Block]) -> Iterator[str]:
    return itertools.chain(block.lines, itertools.chain.from_iterable(b.lines for b in rest))


def _cells(line: str) -> list[str]:
    """A plain line's cells (it ends with "\n" or "\r\n"), as csv.reader reads them."""
    return (line[:-2] if line[-2:] == "\r\n" else line[:-1]).split(",")


def _csv_rows(
    header: list[str], block: Block, rest: Iterator[Block], reader: Any, close: Callable[[], None] | None
) -> Iterator[RawRow]:
    """Data rows with the line each starts on; blank lines skipped. Plain blocks are split at "," (no quote: one line
    is one record); from the first block that is not plain (or from `reader`, which read the header), csv.reader
    reads the rest (a quoted cell may go on over lines and blocks)."""
    width, line, limit = len(header), 2, csv.field_size_limit()
    try:
        while reader is None and block.plain:
            for text in block.lines:
                if len(text) > limit:  # csv's own error about a cell that long
                    yield from _read(header, csv.reader([text]), line - 1)
                else:
                    cells = _cells(text)
                    if cells[0].strip() or any(c.strip() for c in cells):
                        yield RawRow(line, cells, header) if len(cells) <= width else _row(line, header, cells)
                line += 1
            block = next(rest, Block([], False))
        yield from _read(header, reader or csv.reader(_all_lines(block, rest)), 0 if reader else line - 1)
    finally:
        if close:
            close()


def _read(header: list[str], reader: Any, before: int) -> Iterator[RawRow]:
    """Rows as csv.reader reads them, their lines counted after `before` lines."""
    width = len(header)
    start = before + reader.line_num + 1
    while True:
        try:
            for cells in reader:
                if not cells:
                    pass
                elif len(cells) == 1 and cells[0] == BAD_LINE:
                    yield RawRow(start, error="the line is neither UTF-8 nor GBK text")
                elif cells[0].strip() or any(c.strip() for c in cells):
                    yield RawRow(start, cells, header) if len(cells) <= width else _row(start, header, cells)
                start = before + reader.line_num + 1
            return
        except csv.Error as exc:
            yield RawRow(start, error=f"not a CSV line: {exc}")
            start = before + reader.line_num + 1


def _row(number: int, header: list[str], cells: list[Any]) -> RawRow:
    if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header) :]):
        return RawRow(number, error=f"{len(cells)} cells but the header names {len(header)} columns")
    return RawRow(number, cells, header)


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
            rows.append(RawRow(number, error=f"cells {merged[number]} are merged: give every row its own values"))
            continue
        if problem := _formula(cells):
            rows.append(RawRow(number, error=problem))
            continue
        rows.append(_row(number, header, ["" if c.value is None else c.value for c in cells]))
    return Sheet(header=header, rows=iter(rows), encoding="xlsx")

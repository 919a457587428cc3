"""Reading a tabular file (CSV, XLSX, GeoJSON properties) into a header and rows of text, encodings detected.

Everything that is wrong is reported with its line, and nothing is loaded: a ragged row (more or fewer cells
than the header) stops the load, as a half-read table would be worse than none.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from core.errors import Invalid

MAX_REPORTED = 10  # ragged lines named in an error; the count says how many more
SNIFF_BYTES = 64 * 1024
FORMATS = ("CSV", "TSV", "XLSX", "GEOJSON", "JSON")


@dataclass
class Table:
    """A file read: the header, rows of text (None for an empty cell), the encoding, and a bbox for GeoJSON."""

    header: list[str]
    rows: list[list[str | None]]
    encoding: str = ""
    bbox: tuple[float, float, float, float] | None = None
    lines: list[int] = field(default_factory=list)  # the source line (CSV) or row number of each row


def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 with or without BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as first:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise Invalid(f"the file is neither UTF-8 nor GB18030/GBK (byte {first.start} of UTF-8 fails)") from None


def _names(raw: list[Any]) -> list[str]:
    """Column names: trimmed, empty ones numbered, repeats suffixed, within Postgres' 63-byte identifiers."""
    out: list[str] = []
    for i, value in enumerate(raw):
        name = str(value).strip() if value is not None else ""
        name = name or f"field_{i + 1}"
        if name.startswith("_"):  # _id and _tokens are ours
            name = "f" + name
        while len(name.encode()) > 55:
            name = name[:-1]
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


def _cell(value: str) -> str | None:
    return value if value.strip() != "" else None


def read_csv(data: bytes, *, delimiter: str | None = None) -> Table:
    text, encoding = decode(data)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:SNIFF_BYTES], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header_row = next(reader)
    except StopIteration:
        raise Invalid("the file is empty: no header row") from None
    header = _names(header_row)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    ragged: list[str] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                ragged.append(f"line {reader.line_num}: {len(row)} cells, the header has {len(header)}")
                continue
            rows.append([_cell(v) for v in row])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise Invalid(f"malformed CSV at line {reader.line_num}: {exc}") from None
    _refuse_ragged(ragged)
    return Table(header=header, rows=rows, encoding=encoding, lines=lines)


def _refuse_ragged(ragged: list[str]) -> None:
    if ragged:
        more = f" and {len(ragged) - MAX_REPORTED} more" if len(ragged) > MAX_REPORTED else ""
        raise Invalid(f"ragged rows, nothing loaded: {'; '.join(ragged[:MAX_REPORTED])}{more}", lines=len(ragged))


def _xlsx_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    return text if text.strip() else None


def read_xlsx(data: bytes) -> Table:
    """The first sheet; its first row is the header."""
    import openpyxl  # imported on use: only XLSX loads need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise Invalid(f"not a readable XLSX file: {type(exc).__name__}") from None
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = _names(list(next(values, ())))
        if not header:
            raise Invalid("the first sheet is empty: no header row")
        rows, lines, ragged = [], [], []
        for number, row in enumerate(values, start=2):
            cells = [_xlsx_text(v) for v in row]
            while len(cells) > len(header) and cells[-1] is None:
                cells.pop()
            if all(c is None for c in cells):
                continue
            if len(cells) > len(header):
                ragged.append(f"row {number}: {len(cells)} cells, the header has {len(header)}")
                continue
            rows.append(cells + [None] * (len(header) - len(cells)))
            lines.append(number)
    finally:
        book.close()
    _refuse_ragged(ragged)
    return Table(header=header, rows=rows, encoding="xlsx", lines=lines)


def _coordinates(geometry: Any) -> Iterator[tuple[float, float]]:
    if not isinstance(geometry, dict):
        return
    if geometry.get("type") == "GeometryCollection":
        for part in geometry.get("geometries") or []:
            yield from _coordinates(part)
        return
    stack = [geometry.get("coordinates")]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and len(item) >= 2 and all(isinstance(v, int | float) for v in item[:2]):
            yield float(item[0]), float(item[1])
        elif isinstance(item, list):
            stack.extend(item)


def read_geojson(data: bytes) -> Table:
    """The features' properties as rows (columns in order of first appearance) and the bbox of all geometry."""
    text, encoding = decode(data)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise Invalid(f"not GeoJSON: {exc}") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise Invalid("not a GeoJSON FeatureCollection: no features list")
    keys: dict[str, None] = {}
    props: list[dict[str, Any]] = []
    xs: list[float] = []
    ys: list[float] = []
    for feature in features:
        if not isinstance(feature, dict):
            continue
        raw = feature.get("properties")
        p: dict[str, Any] = raw if isinstance(raw, dict) else {}
        props.append(p)
        keys.update(dict.fromkeys(p))
        for x, y in _coordinates(feature.get("geometry")):
            xs.append(x)
            ys.append(y)
    names = list(keys)
    header = _names(names)
    rows = [[_json_text(p.get(k)) for k in names] for p in props]
    bbox = (min(xs), min(ys), max(xs), max(ys)) if xs else None
    return Table(header=header, rows=rows, encoding=encoding, bbox=bbox, lines=list(range(1, len(rows) + 1)))


def _json_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def read_table(data: bytes, fmt: str) -> Table:
    """The table of a file in one of FORMATS (CSV, TSV, XLSX, GeoJSON)."""
    kind = fmt.strip().upper()
    if kind == "CSV":
        return read_csv(data)
    if kind == "TSV":
        return read_csv(data, delimiter="\t")
    if kind in ("XLSX", "XLS"):
        return read_xlsx(data)
    if kind in ("GEOJSON", "JSON"):
        return read_geojson(data)
    raise Invalid(f"the datastore loads {', '.join(FORMATS)}, not {fmt!r}")

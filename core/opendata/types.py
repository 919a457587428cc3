"""Column types: inferred from the cells, overridable with a Frictionless table schema, converted for COPY.

The schema is Frictionless' Table Schema (`{"fields": [{"name", "type"}], "missingValues": [...]}`) with the
types integer, number, boolean, date, datetime and string; we infer it ourselves (see docs/opendata.md for why
not the frictionless package): a column takes the narrowest type every non-missing cell fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import Invalid

PG_TYPES = {
    "integer": "bigint",
    "number": "numeric",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamp",
    "string": "text",
}
CKAN_TYPES = {"integer": "int", "number": "numeric", "boolean": "bool", "date": "date", "datetime": "timestamp"}
TRUE = {"true", "True", "TRUE"}
FALSE = {"false", "False", "FALSE"}
INT = re.compile(r"^[+-]?\d{1,18}$")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
DATE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
MEMO_CELLS = 50_000  # distinct cells a column's converter remembers
ORDER = ("integer", "number", "boolean", "date", "datetime", "string")


def _date(text: str) -> date:
    y, m, d = re.split(r"[-/]", text)
    return date(int(y), int(m), int(d))


def _number(text: str) -> Decimal:
    if not NUMBER.match(text):
        raise ValueError(text)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def _boolean(text: str) -> bool:
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(text)


def _integer(text: str) -> int:
    if not INT.match(text):
        raise ValueError(text)
    return int(text)


def _datetime(text: str) -> datetime:
    if not DATETIME.match(text):
        raise ValueError(text)
    return datetime.fromisoformat(text.replace(" ", "T"))


def _date_checked(text: str) -> date:
    if not DATE.match(text):
        raise ValueError(text)
    return _date(text)


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date_checked,
    "datetime": _datetime,
    "string": str,
}


# Cheap tests for inference: a pattern where it decides alone, the converter where a pattern is not enough
QUICK: dict[str, Callable[[str], bool]] = {
    "integer": lambda t: INT.match(t) is not None,
    "number": lambda t: NUMBER.match(t) is not None,
    "boolean": lambda t: t in TRUE or t in FALSE,
}


def fits(kind: str, text: str) -> bool:
    """Whether a cell's text is of the type."""
    text = text.strip()
    quick = QUICK.get(kind)
    if quick is not None:
        return quick(text)
    try:
        CONVERTERS[kind](text)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def infer(header: Sequence[str], rows: Sequence[Sequence[str | None]]) -> dict[str, Any]:
    """A Frictionless table schema for the rows: each column the first type of ORDER all its cells fit."""
    fields = []
    for i, name in enumerate(header):
        candidates = list(ORDER)
        for row in rows:
            cell = row[i]
            if cell is None:
                continue
            candidates = [k for k in candidates if k == "string" or fits(k, cell)]
            if candidates == ["string"]:
                break
        fields.append({"name": name, "type": candidates[0]})
    return {"fields": fields, "missingValues": [""]}


def check_schema(schema: Any, header: Sequence[str]) -> dict[str, Any]:
    """An override schema: one field per column, by name, with a known type; Invalid names what is wrong."""
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise Invalid('a table schema is {"fields": [{"name": ..., "type": ...}, ...]}')
    fields = schema["fields"]
    names = [f.get("name") if isinstance(f, dict) else None for f in fields]
    if names != list(header):
        raise Invalid(f"the schema's field names {names} are not the file's columns {list(header)}")
    for f in fields:
        if f.get("type", "string") not in PG_TYPES:
            raise Invalid(f"field {f['name']!r}: type {f.get('type')!r} is not one of {', '.join(PG_TYPES)}")
    missing = schema.get("missingValues", [""])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        raise Invalid("missingValues is a list of strings")
    return {"fields": [{"name": f["name"], "type": f.get("type", "string")} for f in fields], "missingValues": missing}


def _memo(conv: Callable[[str], Any]) -> Callable[[str], Any]:
    """`conv` remembering its answers while few: codes, dates and categories repeat down a column."""
    seen: dict[str, Any] = {}

    def once(text: str) -> Any:
        found = seen.get(text, seen)
        if found is not seen:
            return found
        value = conv(text.strip())
        if len(seen) < MEMO_CELLS:
            seen[text] = value
        return value

    return once


def converter(schema: dict[str, Any]) -> Callable[[Sequence[str | None], int], list[Any]]:
    """A function making one typed record of a row of text (its line number for errors)."""
    kinds = [f["type"] for f in schema["fields"]]
    names = [f["name"] for f in schema["fields"]]
    convs = [_memo(CONVERTERS[k]) if k != "string" else None for k in kinds]
    missing = set(schema.get("missingValues", [""]))

    def convert(row: Sequence[str | None], line: int) -> list[Any]:
        out: list[Any] = []
        for conv, cell, i in zip(convs, row, range(len(kinds)), strict=False):
            if cell is None or cell in missing:
                out.append(None)
            elif conv is None:
                out.append(cell)
            else:
                try:
                    out.append(conv(cell))
                except (ValueError, TypeError, OverflowError):
                    raise Invalid(f"line {line}: {names[i]!r} is {cell[:40]!r}, not a {kinds[i]}", line=line) from None
        return out

    return convert

"""Column types: inferred from the cells, overridable with a Frictionless table schema, a converter each.

The schema is Frictionless' Table Schema (`{"fields": [{"name", "type"}], "missingValues": [...]}`) with the
types integer, number, boolean, date, datetime and string; we infer it ourselves (see docs/opendata.md for why
not the frictionless package): a column takes the narrowest type every non-missing cell fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
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


def infer_column(cells: Iterable[str | None]) -> str:
    """The first type of ORDER that all the cells fit (each distinct cell is tried once)."""
    candidates = list(ORDER)
    for cell in set(cells) - {None}:
        candidates = [k for k in candidates if k == "string" or fits(k, cell)]  # type: ignore[arg-type]
        if candidates == ["string"]:
            break
    return candidates[0]


def infer(header: Sequence[str], rows: Sequence[Sequence[str | None]]) -> dict[str, Any]:
    """A Frictionless table schema for the rows: each column the first type of ORDER all its cells fit."""
    fields = [{"name": name, "type": infer_column(row[i] for row in rows)} for i, name in enumerate(header)]
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

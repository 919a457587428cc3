"""datastore_search: filters, full-text q, fields, sort, limit/offset, distinct and total over one table."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.opendata import params as p
from core.opendata.datastore import Info, quote
from core.opendata.tokens import tsquery
from core.opendata.types import CKAN_TYPES, CONVERTERS

DEFAULT_LIMIT = 100
MAX_LIMIT = 32000  # CKAN's ckan.datastore.search.rows_max
SORT_ITEM = re.compile(r'^\s*("(?:[^"]|"")+"|[^\s"]+)\s*(asc|desc)?\s*$', re.IGNORECASE)


def jsonable(value: Any) -> Any:
    """A cell as JSON: numbers as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def fields_of(found: Info, names: list[str]) -> list[dict[str, str]]:
    kinds = {f["name"]: f["type"] for f in found.schema["fields"]}
    return [{"id": n, "type": "int" if n == "_id" else CKAN_TYPES.get(kinds[n], "text")} for n in names]


def _typed(found: Info, name: str, value: Any) -> Any:
    kind = found.kind(name)
    if value is None:
        return None
    try:
        return CONVERTERS[kind](str(value).strip()) if kind != "string" else str(value)
    except (ValueError, TypeError, OverflowError):
        raise p.field_error("filters", f"{name}: {str(value)[:40]!r} is not a {kind}") from None


def _row_id(value: Any) -> int:
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise p.field_error("filters", f"_id: {str(value)[:40]!r} is not an integer")
    return int(str(value).strip())


def _filters(found: Info, raw: dict[str, Any], args: list[Any]) -> list[str]:
    conds = []
    for name, value in raw.items():
        if name != "_id" and name not in found.names:
            raise p.field_error("filters", f"field {name!r} not in the table")
        values = value if isinstance(value, list) else [value]
        typed = [_row_id(v) for v in values] if name == "_id" else [_typed(found, name, v) for v in values]
        if any(v is None for v in typed):
            conds.append(f"{quote(name)} is null")
            typed = [v for v in typed if v is not None]
        if typed:
            args.append(typed)
            conds.append(f"{quote(name)} = any(${len(args)})")
    return conds


def _q(found: Info, raw: Any, args: list[Any]) -> list[str]:
    if isinstance(raw, dict):
        conds = []
        for name, text in raw.items():
            if name not in found.names:
                raise p.field_error("q", f"field {name!r} not in the table")
            args.append(f"%{text}%")
            conds.append(f"{quote(name)}::text ilike ${len(args)}")
        return conds
    ts = tsquery(str(raw or ""))
    if ts is None:
        return []
    args.append(ts)
    return [f"to_tsvector('simple', _tokens) @@ to_tsquery('simple', ${len(args)})"]


def _sort(found: Info, raw: str) -> str:
    parts = []
    for item in [s for s in raw.split(",") if s.strip()]:
        m = SORT_ITEM.match(item)
        name = m.group(1).strip('"').replace('""', '"') if m else ""
        if not m or (name != "_id" and name not in found.names):
            raise p.field_error("sort", f"cannot sort by {item.strip()!r}")
        parts.append(f"{quote(name)} {(m.group(2) or 'asc').lower()}")
    return ", ".join(parts)


def read_request(found: Info, params: dict[str, Any]) -> tuple[str, str, list[Any], dict[str, Any]]:
    """(SQL of the page, SQL of the total, arguments, the result's echo fields) for a datastore_search."""
    args: list[Any] = []
    fields = p.string_list(params, "fields") or ["_id", *found.names]
    unknown = [f for f in fields if f != "_id" and f not in found.names]
    if unknown:
        raise p.field_error("fields", f"field(s) not in the table: {', '.join(unknown)}")
    filters = p.mapping(params, "filters")
    raw_q = params.get("q")
    if isinstance(raw_q, str) and raw_q.strip().startswith("{"):
        raw_q = p.mapping(params, "q")
    conds = _filters(found, filters, args) + _q(found, raw_q, args)
    where = f" where {' and '.join(conds)}" if conds else ""
    distinct = p.boolean(params, "distinct")
    sort = _sort(found, p.text(params, "sort")) or ("" if distinct else "_id")
    limit = p.integer(params, "limit", DEFAULT_LIMIT, maximum=MAX_LIMIT)
    offset = p.integer(params, "offset", 0)
    cols = ", ".join(quote(f) for f in fields)
    source = f"datastore.{quote(found.resource_id)}"
    select = f"select {'distinct ' if distinct else ''}{cols} from {source}{where}"
    page = f"{select}{f' order by {sort}' if sort else ''} limit {limit} offset {offset}"
    total = f"select count(*) from ({select}) t" if distinct else f"select count(*) from {source}{where}"
    echo = {"fields": fields, "filters": filters, "limit": limit, "offset": offset, "sort": sort, "q": raw_q}
    return page, total, args, echo

"""datastore_search: filters, full-text q, fields, sort, limit/offset, distinct and total over one table."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.opendata import params as p
from core.opendata import usage
from core.opendata.datastore import Info, quote, stamp_sql
from core.opendata.tokens import tsquery
from core.opendata.types import CKAN_TYPES, CONVERTERS

DEFAULT_LIMIT = 100
MAX_LIMIT = 32000  # CKAN's ckan.datastore.search.rows_max
# The tables of public datasets' resources as last read, per pool and resource id: a search builds its SQL from
# one and checks its stamp in the same round trip as the search (one_pass, stamped_total), so that a reload, or its
# dataset made private or deleted, is seen by the next search in every process without a catalogue query per search.
KNOWN: OrderedDict[tuple[int, str], Info] = OrderedDict()
KNOWN_SIZE = 1024
# A filtered search whose matching rows are at most this many reads them once for its page and total; past it, the
# page and the total are two statements (each served by its own plan: an early stop, a parallel count)
ONE_PASS_ROWS = 1000
# Filter shapes (table, filtered columns and how many values each) whose last search matched more than that: their
# next search goes straight to the page and the count (a pass bounded at ONE_PASS_ROWS would still build the whole
# bitmap of its matches), until one matches few again.
WIDE: set[tuple[int, str, str, tuple[Any, ...]]] = set()
WIDE_SIZE = 4096
PLAIN = {"integer", "boolean", "string"}  # types asyncpg reads as JSON's own (int, bool, str)
SORT_ITEM = re.compile(r'^\s*("(?:[^"]|"")+"|[^\s"]+)\s*(asc|desc)?\s*$', re.IGNORECASE)


def jsonable(value: Any) -> Any:
    """A cell as JSON: numbers as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def records(found: Info, names: list[str], rows: list[Any]) -> list[dict[str, Any]]:
    """Rows (values in the order of `names`) as CKAN's records: only numbers (Decimal) and dates need converting."""
    convert = [n for n in names if n != "_id" and found.kind(n) not in PLAIN]
    out = [dict(zip(names, r, strict=True)) for r in rows]
    for record in out if convert else ():
        for name in convert:
            record[name] = jsonable(record[name])
    return out


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
        if len(typed) == 1:  # `=` rather than `= any`: the planner reads the value's own frequency
            args.append(typed[0])
            conds.append(f"{quote(name)} = ${len(args)}")
        elif typed:
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


@dataclass(frozen=True, kw_only=True)
class Request:
    """A datastore_search read: the SQL of its page and total, their arguments, the result's echo fields, and for a
    filtered search the select of every matching row (`matches`) with the page's order, limit and offset."""

    page: str
    total: str
    args: list[Any]
    echo: dict[str, Any]
    matches: str | None
    order: str
    shape: tuple[Any, ...] = ()  # the filtered columns with their number of values, and q


def read_request(found: Info, params: dict[str, Any]) -> Request:
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
    order = f"{f' order by {sort}' if sort else ''} limit {limit} offset {offset}"
    total = f"select count(*) from ({select}) t" if distinct else f"select count(*) from {source}{where}"
    echo = {"fields": fields, "filters": filters, "limit": limit, "offset": offset, "sort": sort, "q": raw_q}
    every = ", ".join(quote(n) for n in ["_id", *found.names])
    matches = f"select {every} from {source}{where}" if conds and not distinct else None
    shape = (*sorted((k, len(v) if isinstance(v, list) else 1) for k, v in filters.items()), repr(raw_q))
    return Request(
        page=f"{select}{order}", total=total, args=args, echo=echo, matches=matches, order=order, shape=shape
    )


def one_pass_fits(pool: object, found: Info, req: Request) -> bool:
    """Whether the search is filtered and its shape did not match more than ONE_PASS_ROWS last time."""
    return req.matches is not None and (id(pool), found.resource_id, found.stamp, req.shape) not in WIDE


def note_matches(pool: object, found: Info, req: Request, total: int) -> None:
    """How many rows a filtered search matched: its shape is wide past ONE_PASS_ROWS, and no longer below."""
    key = (id(pool), found.resource_id, found.stamp, req.shape)
    if total <= ONE_PASS_ROWS:
        WIDE.discard(key)
        return
    if len(WIDE) >= WIDE_SIZE:
        WIDE.clear()
    WIDE.add(key)


def known(pool: object, resource_id: str) -> Info | None:
    """The table of the resource as last read (a public dataset's), or None."""
    found = KNOWN.get((id(pool), resource_id))
    if found is not None:
        KNOWN.move_to_end((id(pool), resource_id))
    return found


def remember(pool: object, found: Info) -> None:
    key = (id(pool), found.resource_id)
    if not found.public:  # a private table is checked against the caller each time
        KNOWN.pop(key, None)
        return
    KNOWN[key] = found
    while len(KNOWN) > KNOWN_SIZE:
        KNOWN.popitem(last=False)


def forget(pool: object, found: Info) -> None:
    KNOWN.pop((id(pool), found.resource_id), None)


def stamped_total(found: Info, total: str | None, args: list[Any]) -> tuple[str, list[Any]]:
    """The statement answering (stamp, total): the table's stamp (null once the table is gone or its dataset no
    longer public) and the total (null without one)."""
    more = [*args, found.resource_id]
    return f"select {stamp_sql(len(more))} as stamp, ({total or 'null::bigint'}) as total", more


def counted_page(found: Info, page: str, args: list[Any], *, day: date, check: bool) -> tuple[str, list[Any]]:
    """The page's statement, counting the API call as well — when `check`, only while the table's stamp is still
    `found`'s: otherwise the search is made again from a fresh Info, which counts it. (The count goes with the page,
    not the total: a statement that writes is never run in parallel, and a big count gains more from that.)"""
    more = [*args, found.dataset_id, day]
    when = "true"
    if check:
        more += [found.resource_id, found.stamp]
        when = f"{stamp_sql(len(more) - 1)} = ${len(more)}::text"
    used = usage.counting(dataset=f"${len(args) + 1}", day=f"${len(args) + 2}", kind="api", when=when)
    return f"with {used} {page}", more


def one_pass(found: Info, req: Request, *, day: date, check: bool) -> tuple[str, list[Any]]:
    """One statement answering (stamp, total, page) for a filtered search from one scan of its matching rows, when
    they are at most ONE_PASS_ROWS (else `total` says more and the page is not to be used: the search is made by
    the page and total statements); it counts the API call only then, and when `check` only under `found`'s stamp."""
    assert req.matches is not None
    more = [*req.args, found.resource_id, found.dataset_id, day]
    stamp = stamp_sql(len(req.args) + 1)
    complete = f"(select count(*) from m) <= {ONE_PASS_ROWS}"
    if check:
        more.append(found.stamp)
        complete += f" and (select stamp from s) = ${len(more)}::text"
    used = usage.counting(dataset=f"${len(req.args) + 2}", day=f"${len(req.args) + 3}", kind="api", when=complete)
    cols = ", ".join(quote(f) for f in req.echo["fields"])
    return (
        f"with m as materialized ({req.matches} limit {ONE_PASS_ROWS + 1}), s as (select {stamp} as stamp), {used}"
        f" select (select stamp from s) as stamp, (select count(*) from m) as total,"
        f" array(select row({cols}) from m{req.order}) as page"
    ), more

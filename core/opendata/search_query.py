"""Reading package_search requests: q, fq (and fq_list), rows, start, sort, facets, include_private, ext_bbox, as
CKAN reads them; and the same search from typed arguments (GraphQL)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.opendata import params as p
from core.opendata.tokens import tsquery

MAX_ROWS = 1000  # CKAN's ckan.search.rows_max
DEFAULT_ROWS = 10
DEFAULT_SORT = "score desc, metadata_modified desc"
FACET_LIMIT = 50
# fq / facet field -> (SQL to filter on one value, SQL of the facet's value per matching dataset)
FIELDS: dict[str, tuple[str, str]] = {
    # by id through a subselect: the filter then reads the dataset row alone (no join per matching row)
    "organization": ("d.organization_id = (select id from opendata_organizations where name = {v})", "o.name"),
    "groups": ("d.group_id = (select id from opendata_groups where name = {v})", "g.name"),
    "tags": ("d.tags @> array[{v}]::text[]", "unnest(d.tags)"),
    "res_format": ("d.res_formats @> array[upper({v})]::text[]", "unnest(d.res_formats)"),
    "license_id": ("d.license_id = {v}", "d.license_id"),
    "name": ("d.name = {v}", "d.name"),
    "id": ("d.id::text = {v}", "d.id::text"),
    "frequency": ("d.frequency = {v}", "d.frequency"),
    "harvest_source": ("d.source = {v}", "d.source"),
}
# CKAN's text fields in a q or fq clause (title:招商): the datasets whose field holds the value, in any case; they
# filter, they are no facets
TEXT_FIELDS = {"title": "strpos(lower(d.title), lower({v})) > 0", "notes": "strpos(lower(d.notes), lower({v})) > 0"}
SORTS = {
    "score": "rank",
    "metadata_modified": "d.metadata_modified",
    "metadata_created": "d.metadata_created",
    "name": "d.name",
    "title": "d.title",
    "title_string": "d.title",
}
CLAUSE = re.compile(r'([+-]?)([A-Za-z_]+):(?:"((?:[^"\\]|\\.)*)"|\(([^)]*)\)|(\S+))')
IGNORED_FQ = {"capacity", "state", "dataset_type", "site_id", "entity_type"}  # CKAN adds these itself
WORDS = "__words"  # the filter of a word q excludes (-word, NOT word): no request can name it as a field


@dataclass
class Query:
    """A package_search request read and checked."""

    text: str = ""
    # (negated, field, value): a list of values is `field:(a OR b)`, any of them
    filters: list[tuple[bool, str, str | list[str]]] = field(default_factory=list)
    rows: int = DEFAULT_ROWS
    start: int = 0
    sort: str = DEFAULT_SORT
    order: str = ""
    facets: list[str] = field(default_factory=list)
    facet_limit: int = FACET_LIMIT
    facet_mincount: int = 1
    include_private: bool = False
    bbox: tuple[float, float, float, float] | None = None


def filter_sql(name: str) -> str:
    """The SQL of a filter clause on `name` with its value as {v}."""
    if name == WORDS:
        return "d.search @@ to_tsquery('simple', {v})"
    return TEXT_FIELDS.get(name) or FIELDS[name][0]


def _clauses(text: str, where: str) -> tuple[list[tuple[bool, str, str | list[str]]], str]:
    """Field clauses of a q or fq string, and what is left of it as free text."""
    found: list[tuple[bool, str, str | list[str]]] = []
    rest = text
    for m in CLAUSE.finditer(text):
        sign, name = m.group(1), m.group(2)
        known = name in FIELDS or name in TEXT_FIELDS
        if not known and where == "q":
            continue  # a colon in free text (a time, a URL) stays text
        rest = rest.replace(m.group(0), " ", 1)
        if name in IGNORED_FQ:
            continue
        if not known:
            names = ", ".join(sorted([*FIELDS, *TEXT_FIELDS]))
            raise p.SearchQueryError(f"{where}: unknown field {name!r} (one of {names})")
        value = m.group(3) if m.group(3) is not None else (m.group(4) or m.group(5) or "")
        if m.group(4) is not None:
            values = [v.strip().strip('"') for v in re.split(r"\s+OR\s+", value) if v.strip()]
            found.append((sign == "-", name, values))
        else:
            found.append((sign == "-", name, value.replace('\\"', '"')))
    return found, rest


OR_HINTS = {  # what to write instead of OR, in CKAN's terms and in GraphQL's
    "q": "for any of several values of a field use fq=field:(a OR b), for any of several words search once for each",
    "query": "filters take any of several departments, domains, formats or tags; for any of several words search "
    "once for each",
}


def _words(text: str, where: str = "q") -> tuple[str, list[tuple[bool, str, str | list[str]]]]:
    """The free text of q as Solr reads its operators: every word must match, `-word` and `NOT word` exclude the
    datasets holding it (a filter), `+word` and `AND` add nothing; `OR` is refused. Read as words, they asked for
    datasets holding "and", "or" or "not" (none: `公交 AND 线路` found nothing), and `公交 -线路` found the 8 datasets
    holding both instead of the 13 without 线路."""
    kept: list[str] = []
    excluded: list[tuple[bool, str, str | list[str]]] = []
    negate = False
    for word in text.split():
        if word in ("AND", "&&"):
            continue
        if word in ("OR", "||"):
            raise p.SearchQueryError(
                f"{where}: cannot read OR: every word must match and -word excludes one; {OR_HINTS[where]}"
            )
        if word in ("NOT", "!"):
            negate = True
            continue
        if word[0] in "+-" and len(word) > 1:
            negate = negate or word[0] == "-"
            word = word[1:]
        if negate:
            terms = tsquery(word)
            if terms is not None:
                excluded.append((True, WORDS, terms))
        else:
            kept.append(word)
        negate = False
    if negate:
        raise p.SearchQueryError(f"{where}: NOT must be followed by the word to exclude")
    return " ".join(kept), excluded


def _only_and(left: str) -> None:
    """What an fq holds besides its clauses may only join them (AND): any other word (OR, NOT, free text, a stray
    parenthesis) would be read differently from Solr, so it is refused rather than dropped."""
    stray = [word for word in left.split() if word not in ("AND", "&&")]
    if stray:
        raise p.SearchQueryError(
            f"fq: cannot read {' '.join(stray)!r}: write field:value clauses (all must hold), "
            "field:(a OR b) for any of several values, -field:value to exclude"
        )


def _sort(raw: str) -> str:
    parts = []
    for item in raw.split(","):
        words = item.split()
        if not words:
            continue
        if len(words) > 2 or words[0] not in SORTS or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise p.SearchQueryError(f"sort: cannot sort by {item.strip()!r} (fields: {', '.join(SORTS)})")
        direction = words[1].lower() if len(words) == 2 else "asc"
        parts.append(f"{SORTS[words[0]]} {direction}")
    return ", ".join([*parts, "d.name asc"])


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in raw.split(","))
    except ValueError:
        raise p.field_error("ext_bbox", "Must be minx,miny,maxx,maxy") from None
    if minx > maxx or miny > maxy:
        raise p.field_error("ext_bbox", "minx must not exceed maxx, nor miny maxy")
    return minx, miny, maxx, maxy


def read_query(params: dict[str, Any], *, is_admin: bool) -> Query:
    """The request as CKAN reads it; errors are Validation (409) or Search Query (400) errors."""
    q = Query()
    raw_q = p.text(params, "q", "*:*")
    filters, rest = _clauses("" if raw_q.strip() == "*:*" else raw_q, "q")
    q.text, excluded = _words(rest)
    fq: list[tuple[bool, str, str | list[str]]] = []
    for raw in (p.text(params, "fq"), *p.string_list(params, "fq_list")):
        found, left = _clauses(raw, "fq")
        _only_and(left)
        fq += found
    q.filters = filters + excluded + fq
    q.rows = p.integer(params, "rows", DEFAULT_ROWS, maximum=MAX_ROWS)
    q.start = p.integer(params, "start", 0)
    q.sort = p.text(params, "sort") or DEFAULT_SORT
    q.order = _sort(q.sort)
    q.facets = p.string_list(params, "facet.field") if p.boolean(params, "facet", True) else []
    unknown = [f for f in q.facets if f not in FIELDS]
    if unknown:
        raise p.SearchQueryError(f"facet.field: unknown field(s) {', '.join(unknown)}")
    unlimited = p.text(params, "facet.limit").strip() == "-1"
    q.facet_limit = -1 if unlimited else p.integer(params, "facet.limit", FACET_LIMIT)
    q.facet_mincount = p.integer(params, "facet.mincount", 1)
    q.include_private = p.boolean(params, "include_private") and is_admin
    q.bbox = _bbox(p.text(params, "ext_bbox"))
    return q


def structured(
    text: str,
    filters: dict[str, list[str]],
    *,
    start: int,
    rows: int,
    include_private: bool,
    bbox: list[float] | None = None,
    facets: list[str] | None = None,
) -> Query:
    """A search from typed arguments (GraphQL): each filter field any of its values, text as in `q`."""
    unknown = [f for f in filters if f not in FIELDS]
    if unknown:
        raise p.field_error("filters", f"unknown field(s) {', '.join(unknown)}")
    words, excluded = _words(text, "query")
    q = Query(text=words, start=start, rows=min(rows, MAX_ROWS), include_private=include_private)
    q.order = _sort(DEFAULT_SORT if words else "metadata_modified desc")
    q.filters = [*excluded, *((False, name, list(values)) for name, values in filters.items() if values)]
    q.facets = facets or []
    if bbox is not None:
        q.bbox = _bbox(",".join(str(v) for v in bbox))
    return q

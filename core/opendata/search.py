"""package_search over Postgres: q (full text), fq filters, sort, paging and facets in CKAN's shapes."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import asyncpg

from core.errors import Invalid
from core.opendata import store
from core.opendata.models import Dataset
from core.opendata.search_query import FIELDS, Query, filter_sql, read_query, structured
from core.opendata.tabular import FORMATS
from core.opendata.tokens import tsquery

__all__ = ["FIELDS", "Found", "Query", "check_formats", "package_search", "read_query", "run_search", "structured"]

# The formats of the resources a caller can see (res_formats are upper-cased as resources are stored).
CATALOGUE_FORMATS = """select distinct f from opendata_datasets d cross join unnest(d.res_formats) f
where d.state = 'active' and ($1 or not d.private)"""


async def check_formats(pool: asyncpg.Pool, formats: list[str], *, include_private: bool) -> list[str]:
    """The formats asked for, upper-cased as the catalogue holds them. A format that no dataset's resource has and
    that the catalogue does not load itself (CSV, TSV, XLSX, GEOJSON, JSON) is BAD_INPUT naming the formats there
    are: a typo (XYZ, CVS) would otherwise look like a catalogue without such data."""
    wanted = [f.strip().upper() for f in formats]
    if not wanted:
        return wanted
    known = set(FORMATS) | {r["f"] for r in await pool.fetch(CATALOGUE_FORMATS, include_private)}
    unknown = [given for given, f in zip(formats, wanted, strict=True) if f not in known]
    if unknown:
        shown = ", ".join(repr(u) for u in unknown)
        raise Invalid(
            f"formats: {shown} is no format of the catalogue; use any of {', '.join(sorted(known))} (any case)"
        )
    return wanted


def _where(q: Query, args: list[Any]) -> str:
    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    conds = ["d.state = 'active'"]
    if not q.include_private:
        conds.append("not d.private")
    ts = tsquery(q.text)
    if ts is not None:
        conds.append(f"d.search @@ to_tsquery('simple', {arg(ts)})")
    for negated, name, value in q.filters:
        values = value if isinstance(value, list) else [value]
        cond = "(" + " or ".join(filter_sql(name).format(v=arg(v)) for v in values) + ")" if values else "false"
        conds.append(f"not coalesce({cond}, false)" if negated else cond)
    if q.bbox is not None:
        minx, miny, maxx, maxy = q.bbox
        conds.append(
            f"d.bbox is not null and d.bbox[1] <= {arg(maxx)} and d.bbox[3] >= {arg(minx)}"
            f" and d.bbox[2] <= {arg(maxy)} and d.bbox[4] >= {arg(miny)}"
        )
    return " and ".join(conds)


# Facets count the matches (`m`); departments and domains are named by a join of their counts only
NAMED_BY = {"organization": "opendata_organizations", "groups": "opendata_groups"}
KEYS = {"organization": "d.organization_id", "groups": "d.group_id"}
MATCH_COLUMNS = (
    "d.id, d.organization_id, d.group_id, d.tags, d.res_formats, d.license_id, d.name, d.title, d.frequency,"
    " d.source, d.metadata_modified, d.metadata_created"
)


def _facet_sql(q: Query, name: str) -> str:
    """A facet over the matches as a JSON list of [value, count]."""
    limit = "" if q.facet_limit < 0 else f" limit {int(q.facet_limit)}"
    mincount = int(q.facet_mincount)
    if name in NAMED_BY:
        inner = (
            f"select t.name as v, f.n from (select {KEYS[name]} as k, count(*) as n from m d group by k"
            f" having count(*) >= {mincount}) f join {NAMED_BY[name]} t on t.id = f.k order by f.n desc, t.name{limit}"
        )
    else:
        inner = (
            f"select v, count(*) as n from (select {FIELDS[name][1]} as v from m d) f where v is not null and v <> ''"
            f" group by v having count(*) >= {mincount} order by n desc, v{limit}"
        )
    return f"(select coalesce(json_agg(json_build_array(x.v, x.n)), '[]') from ({inner}) x)"


async def _titles(conn: asyncpg.Connection, facets: dict[str, dict[str, int]]) -> dict[str, str]:
    names = [n for key in ("organization", "groups") for n in facets.get(key, {})]
    if not names:
        return {}
    rows = await conn.fetch(
        """select name, title from opendata_organizations where name = any($1)
           union all select name, title from opendata_groups where name = any($1)""",
        names,
    )
    return {r["name"]: r["title"] for r in rows}


@dataclass(frozen=True, kw_only=True)
class Found:
    """One page of a search: the datasets, how many match, facet counts and the titles of facet values."""

    datasets: list[Dataset]
    count: int
    facets: dict[str, dict[str, int]]
    titles: dict[str, str]


async def run_search(pool: asyncpg.Pool, q: Query) -> Found:
    """The page of datasets `q` asks for, the count of all matches and the facets asked for. With words, in one
    statement: the matches are found once (the full-text scan is the cost) and counted, paged and faceted from
    there. Without, the matches may be the whole catalogue: the page comes from an index and the count and each
    facet are their own scans, one after another in the page's snapshot."""
    args: list[Any] = []
    where = _where(q, args)
    if tsquery(q.text) is None:
        return await _browse(pool, q, where, args)
    rank = "ts_rank(d.search, to_tsquery('simple', $1))" if tsquery(q.text) else "0"  # _where binds it first
    facets_sql = "".join(f", {_facet_sql(q, name)} as f{i}" for i, name in enumerate(q.facets))
    sql = (
        f"with m as materialized (select {MATCH_COLUMNS}, {rank} as rank from opendata_datasets d where {where})"
        " select (select count(*) from m) as count,"
        f" (select coalesce(array_agg(p.id order by p.ord), '{{}}') from (select d.id::text as id,"
        f" row_number() over (order by {q.order}) as ord from m d order by {q.order} limit {q.rows}"
        f" offset {q.start}) p) as page{facets_sql}"
    )
    # One snapshot, as _browse: a dataset made private or deleted after the page's ids were read would be shown.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        row = await conn.fetchrow(sql, *args)
        assert row is not None
        datasets = await store.datasets_by_ids(conn, list(row["page"]))
        facets = {name: {v: int(n) for v, n in _json(row[f"f{i}"])} for i, name in enumerate(q.facets)}
        titles = await _titles(conn, facets)
    return Found(datasets=datasets, count=int(row["count"]), facets=facets, titles=titles)


# Browse counts and facets (no words: possibly the whole catalogue) per query, kept while the catalogue has not
# changed (opendata_changes): the portal's front page is asked for far more often than the catalogue changes.
BROWSE_CACHE: OrderedDict[str, tuple[int, int, dict[str, dict[str, int]]]] = OrderedDict()
BROWSE_CACHE_SIZE = 256


async def _browse_counts(
    conn: asyncpg.Connection, pool_id: int, q: Query, where: str, args: list[Any]
) -> tuple[int, dict[str, dict[str, int]]]:
    """The count and facets of a browse, kept per query while the catalogue's change number stays; `conn` is in the
    caller's snapshot, so counts kept at a change number are those of every snapshot that reads the same number
    (`pool_id` tells the databases of one process's pools apart)."""
    key = json.dumps([pool_id, where, args, q.facets, q.facet_limit, q.facet_mincount], default=str)
    version = await store.changes(conn)
    cached = BROWSE_CACHE.get(key)
    if cached is not None and cached[0] == version:
        BROWSE_CACHE.move_to_end(key)
        return cached[1], cached[2]
    count = int(await conn.fetchval(f"select count(*) from opendata_datasets d where {where}", *args))
    facets: dict[str, dict[str, int]] = {}
    for name in q.facets:
        sql = f"with m as (select {MATCH_COLUMNS} from opendata_datasets d where {where}) select {_facet_sql(q, name)}"
        facets[name] = {v: int(n) for v, n in _json(await conn.fetchval(sql, *args))}
    BROWSE_CACHE[key] = (version, count, facets)
    while len(BROWSE_CACHE) > BROWSE_CACHE_SIZE:
        BROWSE_CACHE.popitem(last=False)
    return count, facets


async def _browse(pool: asyncpg.Pool, q: Query, where: str, args: list[Any]) -> Found:
    # One snapshot on one connection: read side by side on their own connections, the change number, the count, the
    # facets and the page each saw their own moment, and a dataset created meanwhile showed 24 datasets under a count
    # of 23 (or a count taken after a change was kept under the change number read before it).
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        count, facets = await _browse_counts(conn, id(pool), q, where, args)
        rows = await conn.fetch(
            f"select d.id::text as id, 0 as rank from opendata_datasets d where {where}"
            f" order by {q.order} limit {q.rows} offset {q.start}",
            *args,
        )
        datasets = await store.datasets_by_ids(conn, [r["id"] for r in rows])
        titles = await _titles(conn, facets)
    return Found(datasets=datasets, count=count, facets=facets, titles=titles)


def _json(value: Any) -> list[Any]:
    return list(json.loads(value) if isinstance(value, str) else value or [])


async def package_search(pool: asyncpg.Pool, q: Query) -> dict[str, Any]:
    """CKAN's package_search result: count, results (full package dicts), facets, search_facets, sort."""
    found = await run_search(pool, q)
    titles = found.titles
    search_facets = {
        name: {
            "title": name,
            "items": [
                {"name": k, "display_name": titles.get(k, k), "count": n}
                for k, n in sorted(values.items(), key=lambda kv: titles.get(kv[0], kv[0]), reverse=True)
            ],
        }
        for name, values in found.facets.items()
    }
    return {
        "count": found.count,
        "results": [d.as_ckan() for d in found.datasets],
        "facets": found.facets,
        "search_facets": search_facets,
        "sort": q.sort,
    }

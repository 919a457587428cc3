"""Reading search analytics: stats, hot, rising and zero-result queries, and one query's trend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import islice

import asyncpg

from core.analytics.models import (
    HOUR,
    QueryCount,
    RisingQuery,
    SearchStats,
    SourceStats,
    Span,
    TrendPoint,
    Window,
    check_limit,
    normalize_query,
)

# Queries a public list leaves out (a sensitive word, a query the web office blocked), given by the caller.
Hidden = Callable[[str], bool]
SCAN_HIDDEN = 1000  # queries read when some are left out, so that the list still fills its limit

# $1, $2: first and last bucket; $3: a site or null for every site.
IN_WINDOW = "bucket between $1 and $2 and ($3::text is null or site = $3)"

STATS_BY_SOURCE = f"""
select source, sum(searches)::bigint, sum(zero_results)::bigint, sum(clicks)::bigint,
       sum(position_sum)::bigint, sum(clicked_searches)::bigint
from analytics_hourly where {IN_WINDOW} group by source order by 2 desc, source"""

DISTINCT_QUERIES = f"select count(distinct query) from analytics_hourly where {IN_WINDOW} and searches > 0"

QUERY_COUNTS = f"""
select query, sum(searches)::bigint as s, sum(zero_results)::bigint as z, sum(clicks)::bigint,
       sum(clicked_searches)::bigint
from analytics_hourly where {IN_WINDOW} and query <> ''
group by query having sum({{column}}) > 0 order by sum({{column}}) desc, query limit $4"""

WINDOW_SEARCHES = f"""
select query, sum(searches)::bigint from analytics_hourly
where {IN_WINDOW} and query <> '' and query = any($4::text[]) group by query"""

TREND = """
select bucket, sum(searches)::bigint, sum(zero_results)::bigint, sum(clicks)::bigint from analytics_hourly
where query = $1 and bucket between $2 and $3 and ($4::text is null or site = $4) group by bucket"""


async def search_stats(pool: asyncpg.Pool, *, window: Window, now: datetime, site: str | None = None) -> SearchStats:
    span = Span.of(window, now)
    async with pool.acquire() as conn:
        rows = await conn.fetch(STATS_BY_SOURCE, span.first, span.last, site)
        distinct = await conn.fetchval(DISTINCT_QUERIES, span.first, span.last, site)
    return SearchStats(
        window=window,
        site=site,
        searches=sum(r[1] for r in rows),
        zero_results=sum(r[2] for r in rows),
        clicks=sum(r[3] for r in rows),
        position_sum=sum(r[4] for r in rows),
        clicked_searches=sum(r[5] for r in rows),
        distinct_queries=int(distinct or 0),
        by_source=[SourceStats(source=r[0], searches=r[1], zero_results=r[2], clicked_searches=r[5]) for r in rows],
    )


async def hot_queries(
    pool: asyncpg.Pool,
    *,
    window: Window,
    now: datetime,
    limit: int = 10,
    site: str | None = None,
    hidden: Hidden | None = None,
) -> list[QueryCount]:
    """The most searched queries of the window, most first (ties by query text), without the `hidden` ones: the
    list is public (a portal's 热门搜索), and three searches of an insult would put it there."""
    return await _query_counts(pool, "searches", window, now, limit, site, hidden)


async def zero_result_queries(
    pool: asyncpg.Pool, *, window: Window, now: datetime, limit: int = 20, site: str | None = None
) -> list[QueryCount]:
    """Queries that found nothing, the most frequent failures first: content or synonyms to add."""
    return await _query_counts(pool, "zero_results", window, now, limit, site)


async def _query_counts(
    pool: asyncpg.Pool,
    column: str,
    window: Window,
    now: datetime,
    limit: int,
    site: str | None,
    hidden: Hidden | None = None,
) -> list[QueryCount]:
    """Queries of the window ordered by `column` (searches or zero_results), most first, `hidden` ones left out."""
    span = Span.of(window, now)
    wanted = check_limit(limit)
    read = SCAN_HIDDEN if hidden is not None else wanted
    rows = await pool.fetch(QUERY_COUNTS.format(column=column), span.first, span.last, site, read)
    shown = (r for r in rows if hidden is None or not hidden(r[0]))
    return [
        QueryCount(query=r[0], searches=r[1], zero_results=r[2], clicks=r[3], clicked_searches=r[4])
        for r in islice(shown, wanted)
    ]


async def rising_queries(
    pool: asyncpg.Pool,
    *,
    window: Window,
    now: datetime,
    limit: int = 10,
    site: str | None = None,
    min_searches: int = 2,
    min_growth: float = 1.5,
    hidden: Hidden | None = None,
) -> list[RisingQuery]:
    """Queries searched more often than in the previous window of the same length, fastest growth first.

    The current window is partly elapsed, so the previous count is scaled to the same length before comparing;
    growth is (searches + 1) / (scaled previous + 1), which ranks new queries by volume instead of dividing by 0;
    a query rises when searched at least `min_searches` times with growth at least `min_growth`. `hidden` queries
    are left out, as from the hot list.
    """
    check_limit(limit)
    span = Span.of(window, now)
    before = span.previous(window)
    current = await pool.fetch(QUERY_COUNTS.format(column="searches"), span.first, span.last, site, 1000)
    candidates = {r[0]: int(r[1]) for r in current if r[1] >= min_searches and not (hidden and hidden(r[0]))}
    if not candidates:
        return []
    rows = await pool.fetch(WINDOW_SEARCHES, before.first, before.last, site, list(candidates))
    previous = {r[0]: int(r[1]) for r in rows}
    scale = span.elapsed_hours / window.hours
    rising = []
    for query, searches in candidates.items():
        prev = previous.get(query, 0)
        growth = (searches + 1) / (prev * scale + 1)
        if growth >= min_growth:
            rising.append(RisingQuery(query=query, searches=searches, previous=prev, growth=round(growth, 3)))
    rising.sort(key=lambda r: (-r.growth, -r.searches, r.query))
    return rising[:limit]


async def query_trend(
    pool: asyncpg.Pool, *, query: str, window: Window, now: datetime, site: str | None = None
) -> list[TrendPoint]:
    """Hour by hour counts of one query (normalised like the counters), zeros included, oldest first."""
    span = Span.of(window, now)
    rows = await pool.fetch(TREND, normalize_query(query), span.first, span.last, site)
    found = {r[0]: r for r in rows}
    points = []
    for i in range(window.hours):
        hour = span.first + i * HOUR
        r = found.get(hour)
        points.append(
            TrendPoint(hour=hour, searches=r[1] if r else 0, zero_results=r[2] if r else 0, clicks=r[3] if r else 0)
        )
    return points

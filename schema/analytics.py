"""Search analytics over GraphQL: stats, hot/rising/zero-result queries, trends, and hot queries live."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Callable
from datetime import datetime

import strawberry

from core import analytics
from core.analytics import QueryCount, SearchStats
from core.analytics.scope import check_site
from core.errors import Invalid
from schema.context import Context

Info = strawberry.Info[Context, None]
QUERY_MAX = 200


@strawberry.enum(description="A look-back in whole hours: the current hour, the last 24, the last 168")
class Window(enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"

    @property
    def core(self) -> analytics.Window:
        return analytics.Window[self.name]


async def _site(info: Info, value: strawberry.ID | None) -> str | None:
    """The site filter: none for every site; a site that is not stored is NOT_FOUND (a typo would read as a site
    nobody searches)."""
    return await check_site(info.context.pool, value)


async def _unlisted(info: Info) -> Callable[[str], bool]:
    """What the public lists (hot and rising queries) leave out: sensitive words and the web office's blocked
    suggestions, read with the search caches (loaded first if this process has not searched yet)."""
    search = info.context.search
    await search.cache.get()
    return search.unlisted


@strawberry.type(description="Searches of one source (portal box, API, suggestion, …) over the window")
class SearchSourceStats:
    source: str
    searches: int
    zero_result_rate: float
    click_through_rate: float


@strawberry.type(name="SearchStats", description="What the public searched over a window")
class SearchStatsResult:
    window: Window
    site_id: strawberry.ID | None = strawberry.field(description="null: every site")
    searches: int
    zero_results: int
    zero_result_rate: float
    clicks: int
    click_through_rate: float = strawberry.field(description="Share of searches followed by at least one click")
    mean_click_position: float | None = strawberry.field(description="null when nothing was clicked")
    distinct_queries: int
    by_source: list[SearchSourceStats]

    @classmethod
    def of(cls, s: SearchStats) -> SearchStatsResult:
        return cls(
            window=Window[s.window.name],
            site_id=strawberry.ID(s.site) if s.site else None,
            searches=s.searches,
            zero_results=s.zero_results,
            zero_result_rate=s.zero_result_rate,
            clicks=s.clicks,
            click_through_rate=s.click_through_rate,
            mean_click_position=s.mean_click_position,
            distinct_queries=s.distinct_queries,
            by_source=[
                SearchSourceStats(
                    source=b.source,
                    searches=b.searches,
                    zero_result_rate=b.zero_result_rate,
                    click_through_rate=b.click_through_rate,
                )
                for b in s.by_source
            ],
        )


@strawberry.type(
    description="A query (its words without search operators such as site:, type:, quotes or -exclusions; "
    "simplified, half-width, lower-case) and its counts"
)
class HotQuery:
    query: str
    searches: int
    zero_results: int
    clicks: int
    click_through_rate: float

    @classmethod
    def of(cls, q: QueryCount) -> HotQuery:
        return cls(
            query=q.query,
            searches=q.searches,
            zero_results=q.zero_results,
            clicks=q.clicks,
            click_through_rate=q.click_through_rate,
        )


@strawberry.type(description="A query searched more than in the previous window")
class RisingQuery:
    query: str
    searches: int
    previous: int = strawberry.field(description="Searches in the previous window of the same length")
    growth: float = strawberry.field(description="(searches + 1) / (previous scaled to the elapsed time + 1)")


@strawberry.type(description="One hour of a query's searches")
class QueryTrendPoint:
    hour: datetime
    searches: int
    zero_results: int
    clicks: int


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="Search volume, zero-result and click-through rates over a window")
    async def search_stats(self, info: Info, window: Window, site: strawberry.ID | None = None) -> SearchStatsResult:
        stats = await analytics.search_stats(
            info.context.pool, window=window.core, now=info.context.clock(), site=await _site(info, site)
        )
        return SearchStatsResult.of(stats)

    @strawberry.field(description="The most searched queries of the window (limit 1–100)")
    async def hot_queries(
        self, info: Info, window: Window, limit: int = 10, site: strawberry.ID | None = None
    ) -> list[HotQuery]:
        found = await analytics.hot_queries(
            info.context.pool,
            window=window.core,
            now=info.context.clock(),
            limit=limit,
            site=await _site(info, site),
            hidden=await _unlisted(info),
        )
        return [HotQuery.of(q) for q in found]

    @strawberry.field(description="Queries that found nothing, most frequent first (limit 1–100)")
    async def zero_result_queries(
        self, info: Info, window: Window, limit: int = 20, site: strawberry.ID | None = None
    ) -> list[HotQuery]:
        found = await analytics.zero_result_queries(
            info.context.pool, window=window.core, now=info.context.clock(), limit=limit, site=await _site(info, site)
        )
        return [HotQuery.of(q) for q in found]

    @strawberry.field(description="Queries growing fastest against the previous window (limit 1–100)")
    async def rising_queries(
        self, info: Info, window: Window, limit: int = 10, site: strawberry.ID | None = None
    ) -> list[RisingQuery]:
        found = await analytics.rising_queries(
            info.context.pool,
            window=window.core,
            now=info.context.clock(),
            limit=limit,
            site=await _site(info, site),
            hidden=await _unlisted(info),
        )
        return [RisingQuery(query=r.query, searches=r.searches, previous=r.previous, growth=r.growth) for r in found]

    @strawberry.field(
        description="Hour by hour counts of one query over the window, oldest first (the query read as the counters "
        "are: its words, without search operators)"
    )
    async def query_trend(
        self, info: Info, query: str, window: Window, site: strawberry.ID | None = None
    ) -> list[QueryTrendPoint]:
        if not query.strip() or len(query) > QUERY_MAX:
            raise Invalid(f"query must be 1 to {QUERY_MAX} characters")
        points = await analytics.query_trend(
            info.context.pool, query=query, window=window.core, now=info.context.clock(), site=await _site(info, site)
        )
        return [
            QueryTrendPoint(hour=p.hour, searches=p.searches, zero_results=p.zero_results, clicks=p.clicks)
            for p in points
        ]


@strawberry.type
class AnalyticsSubscription:
    @strawberry.subscription(description="The hot queries now, then again whenever they change (at most 1/s)")
    async def hot_queries(
        self, info: Info, window: Window, limit: int = 10, site: strawberry.ID | None = None
    ) -> AsyncGenerator[list[HotQuery]]:
        context = info.context
        # one shared read per nudge for every subscriber of the same list, not one each
        feed = context.app.hot_queries.subscribe(
            context.pool,
            context.bus,
            window=window.core,
            limit=limit,
            site=await _site(info, site),
            clock=context.clock,
            hidden=await _unlisted(info),
        )
        async for found in feed:
            yield [HotQuery.of(q) for q in found]

"""Reading the audience: most-visited documents and distinct visitors per day and province."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from core.analytics.days import day_span
from core.analytics.models import Window, check_limit
from core.analytics.records import (
    NAVIGATION_KINDS,
    DocumentRef,
    ProvinceCount,
    TopDocument,
    TopKind,
    VisitorDay,
    VisitorStats,
)
from core.analytics.scope import check_site

MIN_HOT_VIEWS = 2  # a hot policy has at least this many views in the window

# $1, $2: the window; $3, $4: the window before; $5 site or null; $6 kinds, or null for every kind of content
# (navigation left out unless asked for by kind); $7 limit; $8: rank by rise ((views + 1) / (previous + 1)) rather
# than by views.
TOP_DOCUMENTS = f"""
with counted as (
    select document_id,
           coalesce(sum(views) filter (where day >= $1), 0)::bigint as views,
           coalesce(sum(visitors) filter (where day >= $1), 0)::bigint as visitors,
           coalesce(sum(clicks) filter (where day >= $1), 0)::bigint as clicks,
           coalesce(sum(views) filter (where day <= $4), 0)::bigint as previous
    from analytics_page_days
    where day between $3 and $2 and ($5::text is null or site_id = $5)
    group by document_id
)
select d.id::text as id, d.site_id, d.title, d.url, d.kind, c.views, c.visitors, c.clicks, c.previous
from counted c join live_documents d on d.id = c.document_id
where c.views > 0 and (d.kind = any($6) or ($6::text[] is null and d.kind <> all($9)))
  and (not $8 or (c.views >= {MIN_HOT_VIEWS} and c.views > c.previous))
order by case when $8 then (c.views + 1)::float / (c.previous + 1) end desc nulls last, c.views desc, c.visitors desc,
         d.id
limit $7"""

VISITOR_DAYS = """
select day, sum(visitors)::bigint as visitors from analytics_audience
where day between $1 and $2 and site_id = $3 group by day"""

VISITOR_PROVINCES = """
select province, sum(visitors)::bigint as visitors from analytics_audience
where day between $1 and $2 and site_id = $3 group by province order by 2 desc, province"""


async def top_documents(
    pool: asyncpg.Pool,
    *,
    window: Window,
    now: datetime,
    kind: TopKind = TopKind.ALL,
    site: str | None = None,
    limit: int = 10,
) -> list[TopDocument]:
    """The most viewed documents of the window (DAY: today, WEEK: the last 7 days), most first; HOT_POLICY
    ranks policies and interpretations by how much more they are viewed than in the window before. Home pages and
    column (list) pages are left out unless NAVIGATION asks for them."""
    check_limit(limit)
    await check_site(pool, site)
    span = day_span(window, now)
    before = span.before()
    hot = kind is TopKind.HOT_POLICY
    rows = await pool.fetch(
        TOP_DOCUMENTS,
        span.first,
        span.last,
        before.first,
        before.last,
        site,
        kind.kinds,
        limit,
        hot,
        list(NAVIGATION_KINDS),
    )
    return [
        TopDocument(
            document=DocumentRef(id=r["id"], site_id=r["site_id"], title=r["title"], url=r["url"], kind=r["kind"]),
            views=r["views"],
            visitors=r["visitors"],
            clicks=r["clicks"],
            previous_views=r["previous"],
        )
        for r in rows
    ]


async def visitor_stats(pool: asyncpg.Pool, *, window: Window, now: datetime, site: str | None = None) -> VisitorStats:
    """Distinct visitors of each day of the window, oldest first (zeros included), and visitor-days by province
    (most first; None: unknown). Without a site: distinct visitors of any site."""
    await check_site(pool, site)
    span = day_span(window, now)
    async with pool.acquire() as conn:
        days = {r["day"]: r["visitors"] for r in await conn.fetch(VISITOR_DAYS, span.first, span.last, site or "")}
        provinces = await conn.fetch(VISITOR_PROVINCES, span.first, span.last, site or "")
    return VisitorStats(
        site=site,
        days=[VisitorDay(day=d, visitors=days.get(d, 0)) for d in span.each()],
        by_province=[ProvinceCount(province=r["province"] or None, visitors=r["visitors"]) for r in provinces],
    )

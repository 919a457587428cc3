"""Content and audience analytics over GraphQL: hot words of new documents, most-visited documents, visitors."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from core import analytics
from core.analytics import DocumentRef, HotWord, TopDocument
from schema.analytics import Window
from schema.context import Context

Info = strawberry.Info[Context, None]


@strawberry.enum(description="Which documents topDocuments ranks")
class TopDocumentKind(enum.Enum):
    ALL = "ALL"
    POLICY = "POLICY"
    SERVICE = "SERVICE"
    HOT_POLICY = "HOT_POLICY"
    NAVIGATION = "NAVIGATION"


KIND_DESCRIPTIONS = """ALL: every document but home pages and column (list) pages, which lead to content.
POLICY: policies and their interpretations (政策文件, 政策解读). SERVICE: service guides (办事服务, the portal's
service scene). HOT_POLICY: policies and interpretations viewed more than in the window before (at least 2 views),
fastest rise first: (views + 1) / (previousViews + 1). NAVIGATION: home pages and column (list) pages only."""


@strawberry.type(description="A document named by an analytics result")
class AnalyticsDocument:
    id: strawberry.ID
    site_id: strawberry.ID
    title: str
    url: str
    kind: str

    @classmethod
    def of(cls, d: DocumentRef) -> AnalyticsDocument:
        return cls(id=strawberry.ID(d.id), site_id=strawberry.ID(d.site_id), title=d.title, url=d.url, kind=d.kind)


@strawberry.type(description="A term (word or two-word phrase) rising in newly published documents")
class ContentHotWord:
    term: str
    count: int = strawberry.field(description="Documents of the window whose title or lead is about the term")
    count_before: float = strawberry.field(
        description="Documents per window over the windows before (DAY: the 7 days before, WEEK: the 4 weeks)"
    )
    rise: float = strawberry.field(description="(count + 1) / (countBefore + 1): at least 1.5")
    documents: list[AnalyticsDocument] = strawberry.field(description="The newest documents behind it, at most 5")

    @classmethod
    def of(cls, w: HotWord) -> ContentHotWord:
        docs = [AnalyticsDocument.of(d) for d in w.documents]
        return cls(term=w.term, count=w.count, count_before=w.before, rise=w.rise, documents=docs)


@strawberry.type(description="A document and how often it was read over the window")
class DocumentViews:
    document: AnalyticsDocument
    views: int = strawberry.field(description="Page views (at most 5 per visitor and day) and search-result clicks")
    visitors: int = strawberry.field(description="Distinct visitors of each day, summed over the window's days")
    clicks: int = strawberry.field(description="Of the views: clicks on this document in search results")
    previous_views: int = strawberry.field(description="Views in the window of the same length before")

    @classmethod
    def of(cls, t: TopDocument) -> DocumentViews:
        return cls(
            document=AnalyticsDocument.of(t.document),
            views=t.views,
            visitors=t.visitors,
            clicks=t.clicks,
            previous_views=t.previous_views,
        )


@strawberry.type(description="Distinct visitors of one Beijing day")
class VisitorDayCount:
    day: date
    visitors: int


@strawberry.type(description="Visitor-days from one province (境外: outside China; null: unknown or private)")
class ProvinceVisitors:
    province: str | None
    visitors: int


@strawberry.type(description="Who visited: distinct visitors per day and where from, by province")
class VisitorStats:
    site_id: strawberry.ID | None = strawberry.field(description="null: every site (a visitor of two sites once)")
    days: list[VisitorDayCount] = strawberry.field(description="Each day of the window, oldest first, zeros too")
    visitor_days: int = strawberry.field(description="The days' visitors summed (hashes rotate daily)")
    by_province: list[ProvinceVisitors] = strawberry.field(description="Visitor-days by province, most first")


@strawberry.type
class ContentAnalyticsQuery:
    @strawberry.field(
        description="Terms rising in documents published in the window (DAY: today; WEEK: the last 7 days, "
        "Beijing dates; HOUR is refused) — web content that citizens read, not home or list pages nor open-data "
        "datasets (catalogue records) — of one site, the sites of one level (国家, 省, 市, 区县, 部门, 乡镇街道, "
        "村社区), or every site: counted per document (title words and phrases, body words said twice), stop words, "
        "dates and notice boilerplate dropped, and terms on half or more of a site's pages (once it has 20) left "
        "out. limit 1–100."
    )
    async def content_hot_words(
        self,
        info: Info,
        window: Window,
        site: strawberry.ID | None = None,
        level: str | None = None,
        limit: int = 20,
    ) -> list[ContentHotWord]:
        found = await analytics.content_hot_words(
            info.context.pool, window=window.core, now=info.context.clock(), limit=limit, site=site, level=level
        )
        return [ContentHotWord.of(w) for w in found]

    @strawberry.field(
        description="The most-visited documents of the window (DAY: today; WEEK: the last 7 days), counted from the "
        "page-view beacon (POST /beacon/pv) and search-result clicks; most views first. " + KIND_DESCRIPTIONS
    )
    async def top_documents(
        self,
        info: Info,
        window: Window,
        site: strawberry.ID | None = None,
        kind: TopDocumentKind = TopDocumentKind.ALL,
        limit: int = 10,
    ) -> list[DocumentViews]:
        found = await analytics.top_documents(
            info.context.pool,
            window=window.core,
            now=info.context.clock(),
            kind=analytics.TopKind[kind.name],
            site=site,
            limit=limit,
        )
        return [DocumentViews.of(t) for t in found]

    @strawberry.field(
        description="Distinct visitors per day (DAY or WEEK) of a site or of every site, from the beacon, and their "
        "provinces from an offline IP database; no address is stored, only the province and counts."
    )
    async def visitor_stats(self, info: Info, window: Window, site: strawberry.ID | None = None) -> VisitorStats:
        stats = await analytics.visitor_stats(
            info.context.pool, window=window.core, now=info.context.clock(), site=site
        )
        return VisitorStats(
            site_id=strawberry.ID(stats.site) if stats.site else None,
            days=[VisitorDayCount(day=d.day, visitors=d.visitors) for d in stats.days],
            visitor_days=stats.visitor_days,
            by_province=[ProvinceVisitors(province=p.province, visitors=p.visitors) for p in stats.by_province],
        )

"""GraphQL types of search results: hits, facets, scenes, query understanding, suggestions, pins, synonyms."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from core.policy.queries import Related
from core.search import admin
from core.search.service import Hit, SearchOutcome
from core.search.titles import TitleDoc
from core.search.understand import Rewrite
from schema.context import Context

REWRITE_WORDS = {"pinyin": "拼音", "typo": "纠错", "synonym": "同义词", "doc_no": "文号", "traditional": "繁体"}


@strawberry.type(description="Another page of the same document: a reprint on another site")
class SearchHitCopy:
    url: str
    site: str


@strawberry.type(description="A page explaining a policy: 文字解读, 图解, 视频解读, 新闻发布会 or 媒体解读")
class HitInterpretation:
    document_id: strawberry.ID
    title: str
    url: str
    site: str
    kind: str = strawberry.field(description="文字解读, 图解, 视频解读, 新闻发布会 or 媒体解读")

    @classmethod
    def of(cls, r: Related) -> HitInterpretation:
        return cls(document_id=strawberry.ID(r.document_id), title=r.title, url=r.url, site=r.site_id, kind=r.kind)


@strawberry.type(description="One search result; titleHighlighted and snippet are HTML with matches in <em>")
class SearchHit:
    document_id: strawberry.ID
    url: str
    title: str
    title_highlighted: str
    snippet: str
    score: float
    site: str
    kind: str
    published_at: date | None
    doc_no: str | None = strawberry.field(description="文号")
    issuer: str | None
    pinned: bool = strawberry.field(description="置顶: placed first by the web office for this query")
    position: int = strawberry.field(description="1-based position, to send back with recordClick")
    copies: list[SearchHitCopy] = strawberry.field(
        description="转载: the same document on other sites, shown once under this hit (oldest first)"
    )

    @classmethod
    def of(cls, h: Hit) -> SearchHit:
        x = h.hit
        return cls(
            document_id=strawberry.ID(x.id),
            url=x.url,
            title=x.title,
            title_highlighted=x.title_highlighted,
            snippet=x.snippet,
            score=x.score,
            site=x.site,
            kind=x.kind,
            published_at=x.published_at,
            doc_no=x.doc_no or None,
            issuer=x.issuer or None,
            pinned=h.pinned,
            position=h.position,
            copies=[SearchHitCopy(url=c.url, site=c.site) for c in x.copies],
        )

    @strawberry.field(
        description="政策解读: for a policy of the policy library, the pages explaining it (newest first, at most "
        "20; admins link and unlink them); empty for other hits. One query for a whole page of hits."
    )
    async def interpretations(self, info: strawberry.Info[Context, None]) -> list[HitInterpretation]:
        if self.kind != "policy":
            return []
        return [HitInterpretation.of(r) for r in await info.context.interpretations.load(str(self.document_id))]


@strawberry.type(description="Count of results with one value of a facet field")
class FacetValue:
    value: str
    count: int


@strawberry.type(
    description="Counts per value of one field: site, department, region, level, kind, year, theme, format"
)
class Facet:
    field: str
    values: list[FacetValue]


@strawberry.type(description="Results of one kind: 办事服务, 政策文件, 政策解读, 新闻动态, 互动问答 or 开放数据")
class SearchScene:
    key: str
    name: str
    count: int
    hits: list[SearchHit]


@strawberry.type(description="A rewrite applied to the query: pinyin, typo, synonym, doc_no or traditional")
class QueryRewrite:
    kind: str
    original: str
    replacement: str

    @classmethod
    def of(cls, r: Rewrite) -> QueryRewrite:
        return cls(kind=r.kind, original=r.original, replacement=r.replacement)


@strawberry.type(description="How the query was understood, for 已为您搜索… notices")
class InterpretedQuery:
    original: str
    searched: str = strawberry.field(description="What was searched after rewrites")
    rewrites: list[QueryRewrite]
    message: str | None = strawberry.field(description="e.g. 已为您搜索“社保”（拼音）; null when nothing was rewritten")


@strawberry.type(description="A direct answer shown above the results (e.g. 放假安排)")
class InstantAnswer:
    kind: str
    title: str
    text: str
    source: str
    items: list[str]


@strawberry.type(description="A page of search results with facets, scenes and query understanding")
class SearchResult:
    search_id: str = strawberry.field(description="Send back with recordClick")
    query: str
    total: int = strawberry.field(
        description="What the pages hold: the documents the query matches, plus the pinned documents it does not "
        "match that pass the filters (pins lead relevance-sorted results)"
    )
    page: int
    page_size: int
    took_ms: float
    hits: list[SearchHit]
    facets: list[Facet]
    scenes: list[SearchScene]
    did_you_mean: str | None
    interpreted: InterpretedQuery
    related: list[str]
    answers: list[InstantAnswer]

    @classmethod
    def of(cls, o: SearchOutcome) -> SearchResult:
        shown = [r for r in o.rewrites if r.kind != "traditional"]
        message = (
            "已为您搜索“" + o.interpreted + "”（" + "、".join(REWRITE_WORDS[r.kind] for r in shown) + "）"
            if shown
            else None
        )
        return cls(
            search_id=o.search_id,
            query=o.query,
            total=o.total,
            page=o.page,
            page_size=o.page_size,
            took_ms=round(o.took_ms, 2),
            hits=[SearchHit.of(h) for h in o.hits],
            facets=[Facet(field=k, values=[FacetValue(value=v, count=c) for v, c in vs]) for k, vs in o.facets.items()],
            scenes=[
                SearchScene(key=s.key, name=s.name, count=s.count, hits=[SearchHit.of(h) for h in s.hits])
                for s in o.scenes
            ],
            did_you_mean=o.did_you_mean,
            interpreted=InterpretedQuery(
                original=o.query,
                searched=o.interpreted,
                rewrites=[QueryRewrite.of(r) for r in o.rewrites],
                message=message,
            ),
            related=o.related,
            answers=[
                InstantAnswer(kind=a.kind, title=a.title, text=a.text, source=a.source, items=a.items)
                for a in o.answers
            ],
        )


@strawberry.type(description="A search completion")
class Suggestion:
    text: str
    source: str = strawberry.field(description="query (popular searches), term or title")


@strawberry.type(description="A document suggested while typing: its title holds a word starting with the prefix")
class DocumentSuggestion:
    document_id: strawberry.ID
    title: str
    url: str
    site: str = strawberry.field(description="The site's id")
    site_name: str
    column: str | None = strawberry.field(description="栏目: the site's column the document was found in")
    kind: str
    published_at: date | None

    @classmethod
    def of(cls, d: TitleDoc) -> DocumentSuggestion:
        return cls(
            document_id=strawberry.ID(d.id),
            title=d.title,
            url=d.url,
            site=d.site,
            site_name=d.site_name,
            column=d.column or None,
            kind=d.kind,
            published_at=d.published_at,
        )


@strawberry.type(description="Suggested documents of one group: 办事服务, 政策文件, 政策解读, 新闻动态, … or 其他")
class DocumentSuggestionGroup:
    key: str = strawberry.field(description="service, policy, interpretation, news, qa, dataset, disclosure or other")
    name: str
    documents: list[DocumentSuggestion]


@strawberry.type(description="A document pinned to the top of a query's results")
class SearchPin:
    query: str
    document_id: strawberry.ID
    until: datetime | None
    created_at: datetime


@strawberry.type(description="A colloquial → official rewrite")
class Synonym:
    colloquial: str
    official: str
    source: str = strawberry.field(
        description="bundled (the shipped list) or admin (the web office's own: added, or a bundled rewrite removed "
        "and added again)"
    )
    added_by: str | None = strawberry.field(
        description="Who in the web office added an admin rewrite (break-glass for the ADMIN_TOKEN); null for bundled "
        "rewrites, when unknown, and for callers who are not admins"
    )

    @classmethod
    def of(cls, s: admin.Synonym, *, added_by: bool) -> Synonym:
        """`added_by`: whether the caller may see who added it."""
        by = s.added_by if added_by and s.source == "admin" and s.added_by else None
        return cls(colloquial=s.colloquial, official=s.official, source=s.source, added_by=by)


@strawberry.type(description="One page of synonyms")
class SynonymPage:
    items: list[Synonym]
    total: int
    page: int
    page_size: int


@strawberry.type(description="A counted query: how many clients searched it in the window, and whether it is suggested")
class SuggestionCandidate:
    query: str
    clients: int = strawberry.field(description="Client-days: distinct clients per day, summed over the window")
    last_day: date = strawberry.field(description="The last day it was counted (Beijing date)")
    blocked: bool
    surfaced: bool = strawberry.field(description="Suggested now or at the next reload: enough clients, not blocked")


@strawberry.type(description="One page of counted queries, most clients first")
class SuggestionCandidatePage:
    items: list[SuggestionCandidate]
    total: int
    page: int
    page_size: int
    min_clients: int = strawberry.field(description="SUGGEST_MIN_CLIENTS: client-days before a query is suggested")
    window_days: int = strawberry.field(description="SUGGEST_WINDOW_DAYS: only searches of these last days count")

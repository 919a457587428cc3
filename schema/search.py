"""Site-group search (一网通查): search, suggest, pinned results, synonyms and click logging."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from core.search import admin
from core.search.service import Hit, SearchOutcome, SearchService
from core.search.understand import Rewrite
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import ADMIN

Info = strawberry.Info[Context, None]
REWRITE_WORDS = {"pinyin": "拼音", "typo": "纠错", "synonym": "同义词", "doc_no": "文号", "traditional": "繁体"}


def service(info: Info) -> SearchService:
    """The process's SearchService, made on first use from the engine the API opened."""
    services = info.context.services
    found = services.extras.get("search_service")
    if found is None:
        found = SearchService(services.extras["search"], pool=services.pool, bus=services.bus,
                              max_query_length=services.settings.max_query_length)  # fmt: skip
        services.extras["search_service"] = found
    return found


@strawberry.enum(description="Order of search results")
class SearchSort(Enum):
    RELEVANCE = "relevance"
    DATE_DESC = "date_desc"
    DATE_ASC = "date_asc"


@strawberry.input(description="One filter by field name (for fields not listed in SearchFilters)")
class FieldFilter:
    field: str
    values: list[str]


@strawberry.input(description="Structured filters; values of one field are OR-ed, fields are AND-ed")
class SearchFilters:
    site: list[str] | None = None
    kind: list[str] | None = strawberry.field(default=None, description="policy, service, news, qa, dataset, …")
    department: list[str] | None = None
    region: list[str] | None = strawberry.field(default=None, description="区县/地区, e.g. 广东省广州市")
    level: list[str] | None = None
    theme: list[str] | None = strawberry.field(default=None, description="主题, e.g. 社会保障 (service guides)")
    audience: list[str] | None = strawberry.field(default=None, description="服务对象: 个人 or 法人")
    year: list[str] | None = None
    issuer: list[str] | None = None
    published_after: date | None = None
    published_before: date | None = None
    fields: list[FieldFilter] | None = None

    def as_dict(self) -> dict[str, list[str]]:
        out = {f.field: list(f.values) for f in self.fields or []}
        for name in ("site", "kind", "department", "region", "level", "theme", "audience", "year", "issuer"):
            if (values := getattr(self, name)) is not None:
                out[name] = list(values)
        return out


@strawberry.type(description="Another page of the same document: a reprint on another site")
class SearchHitCopy:
    url: str
    site: str


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
            document_id=strawberry.ID(x.id), url=x.url, title=x.title, title_highlighted=x.title_highlighted,
            snippet=x.snippet, score=x.score, site=x.site, kind=x.kind, published_at=x.published_at,
            doc_no=x.doc_no or None, issuer=x.issuer or None, pinned=h.pinned, position=h.position,
            copies=[SearchHitCopy(url=c.url, site=c.site) for c in x.copies],
        )  # fmt: skip


@strawberry.type(description="Count of results with one value of a facet field")
class FacetValue:
    value: str
    count: int


@strawberry.type(description="Counts per value of one field: site, department, region, level, kind, year, theme")
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
    total: int
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
        message = ("已为您搜索“" + o.interpreted + "”（" + "、".join(REWRITE_WORDS[r.kind] for r in shown) + "）"
                   if shown else None)  # fmt: skip
        return cls(
            search_id=o.search_id, query=o.query, total=o.total, page=o.page, page_size=o.page_size,
            took_ms=round(o.took_ms, 2), hits=[SearchHit.of(h) for h in o.hits],
            facets=[Facet(field=k, values=[FacetValue(value=v, count=c) for v, c in vs]) for k, vs in o.facets.items()],
            scenes=[SearchScene(key=s.key, name=s.name, count=s.count, hits=[SearchHit.of(h) for h in s.hits])
                    for s in o.scenes],
            did_you_mean=o.did_you_mean,
            interpreted=InterpretedQuery(original=o.query, searched=o.interpreted,
                                         rewrites=[QueryRewrite.of(r) for r in o.rewrites], message=message),
            related=o.related,
            answers=[InstantAnswer(kind=a.kind, title=a.title, text=a.text, source=a.source, items=a.items)
                     for a in o.answers],
        )  # fmt: skip


@strawberry.type(description="A search completion")
class Suggestion:
    text: str
    source: str = strawberry.field(description="query (popular searches), term or title")


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
    source: str = strawberry.field(description="bundled or admin")


@strawberry.type(description="One page of synonyms")
class SynonymPage:
    items: list[Synonym]
    total: int
    page: int
    page_size: int


def _session(info: Info) -> str | None:
    request = info.context.request
    headers = getattr(request, "headers", None)
    value = headers.get("x-session-id") if headers is not None else None
    return str(value)[:64] if value else None


def _selected(selections: list[Selection]) -> set[str]:
    """The field names asked for at this level, through fragments and inline fragments."""
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:
            names |= _selected(selection.selections)
    return names


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Search every site: hanzi, pinyin, typos, 文号 and operators such as site: 文号:")
    async def search(
        self, info: Info, query: str, filters: SearchFilters | None = None, page: int = 1, page_size: int = 10,
        sort: SearchSort = SearchSort.RELEVANCE,
    ) -> SearchResult:  # fmt: skip
        check_page(page, page_size, info.context.settings.max_page_size)
        wanted = _selected(info.selected_fields[0].selections)
        outcome = await service(info).search(
            query, filters=filters.as_dict() if filters else None, page=page, page_size=page_size,
            sort=sort.value, session_id=_session(info), scenes="scenes" in wanted, facets="facets" in wanted,
            after=filters.published_after if filters else None, before=filters.published_before if filters else None,
        )  # fmt: skip
        return SearchResult.of(outcome)

    @strawberry.field(description="Completions for what is being typed (hanzi, pinyin or initials)")
    async def suggest(self, info: Info, prefix: str, limit: int = 10) -> list[Suggestion]:
        return [Suggestion(text=s.text, source=s.source) for s in await service(info).suggest(prefix, limit)]

    @strawberry.field(description="The colloquial → official synonym table, optionally only rows containing a string")
    async def synonyms(
        self, info: Info, contains: str | None = None, page: int = 1, page_size: int = 50
    ) -> SynonymPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        cache = service(info).cache
        await cache.get()
        rows, total = admin.list_synonyms(cache, contains=contains, offset=offset, limit=limit)
        items = [Synonym(colloquial=r.colloquial, official=r.official, source=r.source) for r in rows]
        return SynonymPage(items=items, total=total, page=page, page_size=page_size)


@strawberry.type
class SearchMutation:
    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Pin a document to the top of a query's results (until a time, or until removed)",
    )
    async def pin_result(
        self, info: Info, query: str, document_id: strawberry.ID, until: datetime | None = None
    ) -> SearchPin:
        pin = await admin.pin_result(service(info).cache, query=query, document_id=str(document_id), until=until)
        return SearchPin(query=pin.query, document_id=strawberry.ID(pin.document_id), until=pin.until,
                         created_at=pin.created_at)  # fmt: skip

    @strawberry.mutation(permission_classes=ADMIN, description="Remove a pin; false when there was none")
    async def unpin_result(self, info: Info, query: str, document_id: strawberry.ID) -> bool:
        return await admin.unpin_result(service(info).cache, query=query, document_id=str(document_id))

    @strawberry.mutation(
        permission_classes=ADMIN, description="Add a colloquial → official rewrite (e.g. 身份证丢了 → 居民身份证补领)"
    )
    async def add_synonym(self, info: Info, colloquial: str, official: str) -> Synonym:
        s = await admin.add_synonym(service(info).cache, colloquial=colloquial, official=official)
        return Synonym(colloquial=s.colloquial, official=s.official, source=s.source)

    @strawberry.mutation(
        permission_classes=ADMIN, description="Remove a rewrite, or every rewrite of the phrase; returns how many"
    )
    async def remove_synonym(self, info: Info, colloquial: str, official: str | None = None) -> int:
        return await admin.remove_synonym(service(info).cache, colloquial=colloquial, official=official)

    @strawberry.mutation(description="Record that a result of a search was clicked (published for analytics)")
    async def record_click(self, info: Info, search_id: str, document_id: strawberry.ID, position: int) -> bool:
        await service(info).record_click(search_id, str(document_id), position, _session(info))
        return True

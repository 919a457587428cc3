"""Site-group search (一网通查): search, suggest, pinned results, synonyms, blocked suggestions, click logging."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from core.search import admin
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import ADMIN, acting_username, caller_is_admin
from schema.search_types import (
    DocumentSuggestion,
    DocumentSuggestionGroup,
    SearchPin,
    SearchResult,
    Suggestion,
    SuggestionCandidate,
    SuggestionCandidatePage,
    Synonym,
    SynonymPage,
)

Info = strawberry.Info[Context, None]


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
    year: list[str] | None = strawberry.field(default=None, description="Years from 1900 to next year, e.g. 2024")
    issuer: list[str] | None = None
    format: list[str] | None = strawberry.field(
        default=None, description="数据格式 of datasets' resources (CSV, XLSX, JSON, GEOJSON, PDF, API; any case)"
    )
    published_after: date | None = None
    published_before: date | None = None
    fields: list[FieldFilter] | None = None

    def as_dict(self) -> dict[str, list[str]]:
        out = {f.field: list(f.values) for f in self.fields or []}
        for name in ("site", "kind", "department", "region", "level", "theme", "audience", "year", "issuer", "format"):
            if (values := getattr(self, name)) is not None:
                out[name] = list(values)
        return out


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
        self,
        info: Info,
        query: str,
        filters: SearchFilters | None = None,
        page: int = 1,
        page_size: int = 10,
        sort: SearchSort = SearchSort.RELEVANCE,
    ) -> SearchResult:
        check_page(page, page_size, info.context.settings.max_page_size)
        wanted = _selected(info.selected_fields[0].selections)
        outcome = await info.context.search.search(
            query,
            filters=filters.as_dict() if filters else None,
            page=page,
            page_size=page_size,
            sort=sort.value,
            session_id=_session(info),
            scenes="scenes" in wanted,
            facets="facets" in wanted,
            after=filters.published_after if filters else None,
            before=filters.published_before if filters else None,
            client=info.context.client,
        )
        return SearchResult.of(outcome)

    @strawberry.field(description="Completions for what is being typed (hanzi, pinyin or initials)")
    async def suggest(self, info: Info, prefix: str, limit: int = 10) -> list[Suggestion]:
        return [Suggestion(text=s.text, source=s.source) for s in await info.context.search.suggest(prefix, limit)]

    @strawberry.field(
        description="Documents whose title (or a word of it) starts with what is being typed, in hanzi, pinyin or "
        "initials, grouped by kind (办事服务, 政策文件, 政策解读, 新闻动态, …, 其他), at most perGroup (1-10) each; "
        "ask it beside `suggest` in the same request"
    )
    def suggest_documents(self, info: Info, prefix: str, per_group: int = 3) -> list[DocumentSuggestionGroup]:
        return [
            DocumentSuggestionGroup(key=key, name=name, documents=[DocumentSuggestion.of(d) for d in docs])
            for key, name, docs in info.context.search.suggest_documents(prefix, per_group)
        ]

    @strawberry.field(
        description="The colloquial → official synonym table in force, optionally only rows containing a string "
        "(read from the database: other API processes apply an edit within a minute)"
    )
    async def synonyms(
        self, info: Info, contains: str | None = None, page: int = 1, page_size: int = 50
    ) -> SynonymPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        cache = info.context.search.cache
        await cache.get()
        rows, total = await admin.list_synonyms(cache, contains=contains, offset=offset, limit=limit)
        shown = await caller_is_admin(info)  # who in the web office made a rewrite is for the office only
        items = [Synonym.of(r, added_by=shown) for r in rows]
        return SynonymPage(items=items, total=total, page=page, page_size=page_size)

    @strawberry.field(
        permission_classes=ADMIN,
        description="Queries counted for suggestions, surfaced or not yet (admins: see them before they surface)",
    )
    async def suggestion_candidates(
        self, info: Info, contains: str | None = None, page: int = 1, page_size: int = 50
    ) -> SuggestionCandidatePage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        cache = info.context.search.cache
        found = await admin.suggestion_candidates(
            cache, contains=contains, offset=offset, limit=limit, now=info.context.clock()
        )
        items = [
            SuggestionCandidate(
                query=c.query,
                clients=c.clients,
                last_day=c.last_day,
                blocked=c.blocked,
                surfaced=admin.surfaced(cache, c),
            )
            for c in found.items
        ]
        return SuggestionCandidatePage(
            items=items,
            total=found.total,
            page=page,
            page_size=page_size,
            min_clients=found.min_clients,
            window_days=found.window_days,
        )


@strawberry.type
class SearchMutation:
    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Pin a document to the top of a query's results (until a time, or until removed); BAD_INPUT past "
        "10 pins in force for the query",
    )
    async def pin_result(
        self, info: Info, query: str, document_id: strawberry.ID, until: datetime | None = None
    ) -> SearchPin:
        pin = await admin.pin_result(
            info.context.search.cache,
            query=query,
            document_id=str(document_id),
            until=until,
            by=await acting_username(info),
        )
        return SearchPin(
            query=pin.query, document_id=strawberry.ID(pin.document_id), until=pin.until, created_at=pin.created_at
        )

    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Remove a pin; false when none was in force (never made, removed or expired)",
    )
    async def unpin_result(self, info: Info, query: str, document_id: strawberry.ID) -> bool:
        return await admin.unpin_result(info.context.search.cache, query=query, document_id=str(document_id))

    @strawberry.mutation(
        permission_classes=ADMIN, description="Add a colloquial → official rewrite (e.g. 身份证丢了 → 居民身份证补领)"
    )
    async def add_synonym(self, info: Info, colloquial: str, official: str) -> Synonym:
        s = await admin.add_synonym(
            info.context.search.cache, colloquial=colloquial, official=official, by=await acting_username(info)
        )
        return Synonym.of(s, added_by=True)

    @strawberry.mutation(
        permission_classes=ADMIN, description="Remove a rewrite, or every rewrite of the phrase; returns how many"
    )
    async def remove_synonym(self, info: Info, colloquial: str, official: str | None = None) -> int:
        return await admin.remove_synonym(info.context.search.cache, colloquial=colloquial, official=official)

    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Never suggest this query, nor show it as a related search; false when it was blocked already",
    )
    async def block_suggestion(self, info: Info, query: str) -> bool:
        return await admin.block_suggestion(info.context.search.cache, query=query, by=await acting_username(info))

    @strawberry.mutation(permission_classes=ADMIN, description="Lift a suggestion's block; false when there was none")
    async def unblock_suggestion(self, info: Info, query: str) -> bool:
        return await admin.unblock_suggestion(info.context.search.cache, query=query)

    @strawberry.mutation(
        description="Record that a result of a search was clicked (published for analytics): the searchId as search "
        "returned it, and the documentId and position of a hit it served (BAD_INPUT, nothing counted, for another "
        "document at that position); a search takes up to SEARCH_MAX_CLICKS clicks"
    )
    async def record_click(self, info: Info, search_id: str, document_id: strawberry.ID, position: int) -> bool:
        await info.context.search.record_click(search_id, str(document_id), position, _session(info))
        return True

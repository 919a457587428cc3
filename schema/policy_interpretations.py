"""Each site's 解读与回应 section over GraphQL: `interpretations(site, kind, first, after)` and the admin's kind."""

from __future__ import annotations

import datetime as dt

import strawberry

from core.errors import Invalid
from core.policy import interpretations as section
from core.policy import lineage
from core.policy import queries as policy_queries
from schema.context import Context
from schema.permissions import ADMIN
from schema.policy_types import Policy, PolicyChanges, PolicyCount

Info = strawberry.Info[Context, None]
KINDS_DOC = "文字解读, 图解, 视频解读, 媒体解读, 新闻发布会, 电视问政 or 热点回应"


@strawberry.type(description="A page of a site's 解读与回应 section: what it is, says, and explains")
class Interpretation:
    id: strawberry.ID = strawberry.field(description="The page's document id")
    title: str
    url: str
    site_id: str
    kind: str = strawberry.field(description=KINDS_DOC)
    kind_source: str = strawberry.field(description="auto (title, URL, column, transcript form) or admin")
    published_at: dt.date = strawberry.field(description="The page's date, else the day it was first seen")
    background: str = strawberry.field(description="背景: the page's background section, if it has one")
    keywords: list[str] = strawberry.field(description="关键词: the page's own line, else its most telling words")
    stated_changes: str = strawberry.field(description="新旧对比 as the page writes it, if it does")
    policies: list[Policy] = strawberry.field(description="The policies it explains (文号, title or the admin)")

    @classmethod
    def of(cls, i: section.Interpretation, policies: list[policy_queries.Policy]) -> Interpretation:
        return cls(
            id=strawberry.ID(i.id),
            title=i.title,
            url=i.url,
            site_id=i.site_id,
            kind=i.kind,
            kind_source=i.kind_source,
            published_at=i.published_at,
            background=i.background,
            keywords=list(i.keywords),
            stated_changes=i.stated_changes,
            policies=[Policy.of(p) for p in policies],
        )

    @strawberry.field(
        description="新旧对比 computed: the first explained policy's sentence diff against the one it replaces"
    )
    async def changes_from_previous(self, info: Info) -> PolicyChanges | None:
        for p in self.policies:
            policy = await policy_queries.get_policy(info.context.pool, str(p.id))
            found = await lineage.changes_from_previous(info.context.pool, policy)
            if found is not None:
                return PolicyChanges.of(found)
        return None


@strawberry.type(description="A page of a section, newest first; pass endCursor as `after` for the next")
class InterpretationConnection:
    items: list[Interpretation]
    end_cursor: str | None
    has_next_page: bool
    kinds: list[PolicyCount] = strawberry.field(description="The whole section's pages per kind")


async def _with_policies(info: Info, items: list[section.Interpretation]) -> list[Interpretation]:
    explained = await section.explained_policies(info.context.pool, [i.id for i in items])
    return [Interpretation.of(i, explained.get(i.id, [])) for i in items]


@strawberry.type
class InterpretationQuery:
    @strawberry.field(
        description=(
            "A site's 解读与回应 section, newest first, optionally of one kind; after: the endCursor of this same "
            "listing (a cursor of another site or kind is BAD_INPUT)"
        )
    )
    async def interpretations(
        self, info: Info, site: str, kind: str | None = None, first: int = 20, after: str | None = None
    ) -> InterpretationConnection:
        limit = info.context.settings.max_page_size
        if not 1 <= first <= limit:
            raise Invalid(f"first must be between 1 and {limit}, not {first}")
        found = await section.list_interpretations(info.context.pool, site_id=site, kind=kind, first=first, after=after)
        counts = await section.kind_counts(info.context.pool, site)
        return InterpretationConnection(
            items=await _with_policies(info, found.items),
            end_cursor=found.end_cursor,
            has_next_page=found.has_next_page,
            kinds=[PolicyCount(value=k, count=n, label=k) for k, n in counts],
        )


@strawberry.type
class InterpretationMutation:
    @strawberry.mutation(
        permission_classes=ADMIN,
        description=f"Set a page's kind ({KINDS_DOC}); null returns to the automatic one (null result: none)",
    )
    async def set_interpretation_kind(
        self, info: Info, document_id: strawberry.ID, kind: str | None
    ) -> Interpretation | None:
        found = await section.set_kind(info.context.pool, str(document_id), kind)
        return (await _with_policies(info, [found]))[0] if found else None

"""Policy library (文件库) over GraphQL: one policy, the filtered list with cascading counts, topics, each
site's 解读与回应 section, and the admin's overrides."""

from __future__ import annotations

import datetime as dt

import strawberry

from core.clock import local_date
from core.policy import facets, queries, store
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import ADMIN
from schema.policy_interpretations import InterpretationMutation, InterpretationQuery
from schema.policy_topics import TopicMutation, TopicQuery
from schema.policy_types import Policy, PolicyCount

Info = strawberry.Info[Context, None]


@strawberry.type(description="A page of policies and each facet's counts under all the other filters")
class PolicyPage:
    items: list[Policy]
    total: int
    page: int
    page_size: int
    issuers: list[PolicyCount]
    years: list[PolicyCount]
    themes: list[PolicyCount]
    validities: list[PolicyCount]
    audiences: list[PolicyCount]
    topics: list[PolicyCount] = strawberry.field(description="value: the topic's slug; label: its name")


@strawberry.input(description="Policy filters, all of which must hold; theme matches a full label or its top level")
class PolicyFilters:
    issuer: str | None = None
    year: int | None = strawberry.field(default=None, description="From 1900 to next year")
    theme: str | None = None
    validity: str | None = strawberry.field(default=None, description="有效, 失效, 废止 or 修订")
    audience: str | None = strawberry.field(default=None, description="个人, 企业, 老年人 … (see docs/policy.md)")
    topic: str | None = strawberry.field(default=None, description="A topic's slug")
    published_from: dt.date | None = strawberry.field(default=None, description="Published on or after")
    published_to: dt.date | None = strawberry.field(default=None, description="Published on or before")

    def to_core(self) -> queries.Filters:
        return queries.Filters(
            issuer=self.issuer,
            year=self.year,
            theme=self.theme,
            validity=self.validity,
            audience=self.audience,
            topic=self.topic,
            published_from=self.published_from,
            published_to=self.published_to,
        )


def _counts(values: list[queries.FacetCount]) -> list[PolicyCount]:
    return [PolicyCount(value=v.value, count=v.count, label=v.label) for v in values]


@strawberry.type
class PolicyQuery(TopicQuery, InterpretationQuery):
    @strawberry.field(description="One policy of the library with its copies, interpretations, responses and Q&A")
    async def policy(self, info: Info, id: strawberry.ID) -> Policy:
        return Policy.of(await queries.get_policy(info.context.pool, str(id)))

    @strawberry.field(description="Policies (reprints once), newest first, with cascading facet counts")
    async def policies(
        self, info: Info, filters: PolicyFilters | None = None, page: int = 1, page_size: int = 20
    ) -> PolicyPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        f = (filters or PolicyFilters()).to_core()
        today = local_date(info.context.clock())
        found = await facets.list_policies(info.context.pool, f, today=today, offset=offset, limit=limit)
        c = found.counts
        return PolicyPage(
            items=[Policy.of(p) for p in found.items],
            total=found.total,
            page=page,
            page_size=page_size,
            issuers=_counts(c["issuer"]),
            years=_counts(c["year"]),
            themes=_counts(c["theme"]),
            validities=_counts(c["validity"]),
            audiences=_counts(c["audience"]),
            topics=_counts(c["topic"]),
        )


@strawberry.type
class PolicyMutation(TopicMutation, InterpretationMutation):
    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Set a policy's validity (admin wins over the page); null returns to the page's",
    )
    async def set_policy_validity(self, info: Info, id: strawberry.ID, validity: str | None) -> Policy:
        await store.set_validity(info.context.pool, str(id), validity)
        return Policy.of(await queries.get_policy(info.context.pool, str(id)))

    @strawberry.mutation(
        permission_classes=ADMIN, description="Link a page to the policy it explains (kind: 文字解读 … 热点回应)"
    )
    async def link_interpretation(
        self, info: Info, policy_id: strawberry.ID, document_id: strawberry.ID, kind: str | None = None
    ) -> Policy:
        await store.set_link(
            info.context.pool, policy_id=str(policy_id), document_id=str(document_id), link=True, kind=kind
        )
        return Policy.of(await queries.get_policy(info.context.pool, str(policy_id)))

    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Unlink a page from a policy, even when it names the policy's 文号 or title",
    )
    async def unlink_interpretation(self, info: Info, policy_id: strawberry.ID, document_id: strawberry.ID) -> Policy:
        await store.set_link(info.context.pool, policy_id=str(policy_id), document_id=str(document_id), link=False)
        return Policy.of(await queries.get_policy(info.context.pool, str(policy_id)))

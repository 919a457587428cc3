"""Policy library (文件库) over GraphQL: one policy with what explains it, cascading filters, admin overrides."""

from __future__ import annotations

import datetime as dt

import strawberry

from core.policy import queries, store
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import ADMIN

Info = strawberry.Info[Context, None]


@strawberry.type(description="A page tied to a policy: a reprint, an interpretation or response, or a service")
class PolicyRelated:
    document_id: strawberry.ID
    title: str
    url: str
    site_id: str
    kind: str = strawberry.field(
        description="文字解读, 图解, 视频解读, 新闻发布会, 媒体解读, 热点回应, copy or service"
    )
    matched_by: str = strawberry.field(description="doc_no, title or admin; empty for copies and services")

    @classmethod
    def of(cls, r: queries.Related) -> PolicyRelated:
        return cls(
            document_id=strawberry.ID(r.document_id),
            title=r.title,
            url=r.url,
            site_id=r.site_id,
            kind=r.kind,
            matched_by=r.matched_by,
        )


@strawberry.type(description="A question-answer pair drawn from the policy or a transcript explaining it")
class PolicyQaPair:
    id: strawberry.ID
    question: str
    answer: str
    basis_url: str | None
    basis_title: str | None


@strawberry.type(description="A policy document of the library, shown once however many sites reprint it")
class Policy:
    id: strawberry.ID
    canonical_id: strawberry.ID = strawberry.field(description="Itself, or the earliest document it reprints")
    url: str
    site_id: str
    title: str
    doc_nos: list[str] = strawberry.field(description="Normalised 文号; several for joint issuance")
    issuers: list[str]
    written_date: dt.date | None
    published_date: dt.date | None
    year: int | None
    validity: str | None = strawberry.field(description="有效, 失效, 废止 or 修订")
    validity_source: str | None = strawberry.field(description="admin, page, or text (有效期N年)")
    audience: list[str]
    theme: str | None = strawberry.field(description="主题分类 as gov.cn writes it: 劳动、人事、监察\\劳动就业")
    theme_top: str | None
    theme_source: str | None = strawberry.field(description="page or predicted")

    @classmethod
    def of(cls, p: queries.Policy) -> Policy:
        return cls(
            id=strawberry.ID(p.id),
            canonical_id=strawberry.ID(p.canonical_id),
            url=p.url,
            site_id=p.site_id,
            title=p.title,
            doc_nos=list(p.doc_nos),
            issuers=list(p.issuers),
            written_date=p.written_date,
            published_date=p.published_date,
            year=p.year,
            validity=p.validity,
            validity_source=p.validity_source,
            audience=list(p.audience),
            theme=p.theme,
            theme_top=p.theme_top,
            theme_source=p.theme_source,
        )

    @strawberry.field(description="The same document reprinted on other sites")
    async def copies(self, info: Info) -> list[PolicyRelated]:
        return [PolicyRelated.of(r) for r in await queries.copies_of(info.context.pool, str(self.id))]

    @strawberry.field(description="文字解读, 图解, 视频解读, 新闻发布会 and 媒体解读 of this policy")
    async def interpretations(self, info: Info) -> list[PolicyRelated]:
        rows = await queries.explained_by(info.context.pool, str(self.id), "interpretation")
        return [PolicyRelated.of(r) for r in rows]

    @strawberry.field(description="热点回应 about this policy")
    async def responses(self, info: Info) -> list[PolicyRelated]:
        rows = await queries.explained_by(info.context.pool, str(self.id), "response")
        return [PolicyRelated.of(r) for r in rows]

    @strawberry.field(description="Q&A pairs from press-conference transcripts and pages explaining this policy")
    async def qa(self, info: Info) -> list[PolicyQaPair]:
        rows = await queries.qa_of(info.context.pool, str(self.id))
        return [
            PolicyQaPair(
                id=strawberry.ID(q.id),
                question=q.question,
                answer=q.answer,
                basis_url=q.basis_url,
                basis_title=q.basis_title,
            )
            for q in rows
        ]

    @strawberry.field(description="Service guides that name this policy's title or 文号")
    async def related_services(self, info: Info) -> list[PolicyRelated]:
        # batched: one statement for every policy of the page (a DataLoader of the request)
        return [PolicyRelated.of(r) for r in await info.context.related_services.load(str(self.id))]


@strawberry.type(description="A value of one filter level and how many policies the selection above it has")
class PolicyCount:
    value: str
    count: int


@strawberry.type(
    description="A page of policies and the counts at each filter level (issuer → year → theme → validity)"
)
class PolicyPage:
    items: list[Policy]
    total: int
    page: int
    page_size: int
    issuers: list[PolicyCount] = strawberry.field(description="Over all policies")
    years: list[PolicyCount] = strawberry.field(description="Within the chosen issuer")
    themes: list[PolicyCount] = strawberry.field(description="Within the chosen issuer and year")
    validities: list[PolicyCount] = strawberry.field(description="Within the chosen issuer, year and theme")


@strawberry.input(description="Cascading policy filters; theme matches a full label or its top level")
class PolicyFilters:
    issuer: str | None = None
    year: int | None = None
    theme: str | None = None
    validity: str | None = None


def _counts(values: list[tuple[str, int]]) -> list[PolicyCount]:
    return [PolicyCount(value=v, count=c) for v, c in values]


@strawberry.type
class PolicyQuery:
    @strawberry.field(description="One policy of the library with its copies, interpretations, responses and Q&A")
    async def policy(self, info: Info, id: strawberry.ID) -> Policy:
        return Policy.of(await queries.get_policy(info.context.pool, str(id)))

    @strawberry.field(description="Policies (reprints once), newest first, with cascading filter counts")
    async def policies(
        self, info: Info, filters: PolicyFilters | None = None, page: int = 1, page_size: int = 20
    ) -> PolicyPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        f = filters or PolicyFilters()
        found = await queries.list_policies(
            info.context.pool, queries.Filters(f.issuer, f.year, f.theme, f.validity), offset=offset, limit=limit
        )
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
        )


@strawberry.type
class PolicyMutation:
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

"""GraphQL types of the policy library: a policy, the pages tied to it, facet counts, and 新旧对比 changes."""

from __future__ import annotations

import datetime as dt

import strawberry

from core.policy import lineage, queries
from core.policy.versions import Diff
from schema.context import Context

Info = strawberry.Info[Context, None]


@strawberry.type(description="A sentence of the old policy and what the new one says in its place")
class SentenceChange:
    before: str
    after: str


@strawberry.type(description="新旧对比 computed from the two texts: sentences added, removed and changed (capped)")
class PolicyChanges:
    policy: Policy = strawberry.field(description="The newer policy")
    previous: Policy = strawberry.field(description="The policy it replaces, as the library holds it")
    matched_by: str = strawberry.field(
        description="doc_no or title (the newer text names it as 废止/替代), or same_name (an earlier version)"
    )
    added: list[str]
    removed: list[str]
    changed: list[SentenceChange]
    unchanged: int = strawberry.field(description="Sentences the two texts share")
    truncated: bool = strawberry.field(description="A list was cut at 50 items")

    @classmethod
    def of(cls, c: lineage.Changes) -> PolicyChanges:
        d: Diff = c.diff
        return cls(
            policy=Policy.of(c.policy),
            previous=Policy.of(c.previous),
            matched_by=c.matched_by,
            added=d.added,
            removed=d.removed,
            changed=[SentenceChange(before=x.before, after=x.after) for x in d.changed],
            unchanged=d.unchanged,
            truncated=d.truncated,
        )


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

    @strawberry.field(description="新旧对比 against the policy this one replaces (废止, 修订), if in the library")
    async def changes_from_previous(self, info: Info) -> PolicyChanges | None:
        policy = await queries.get_policy(info.context.pool, str(self.id))
        found = await lineage.changes_from_previous(info.context.pool, policy)
        return PolicyChanges.of(found) if found else None

    @strawberry.field(description="Service guides that name this policy's title or 文号")
    async def related_services(self, info: Info) -> list[PolicyRelated]:
        # batched: one statement for every policy of the page (a DataLoader of the request)
        return [PolicyRelated.of(r) for r in await info.context.related_services.load(str(self.id))]


@strawberry.type(description="A value of one facet and how many policies the other filters leave with it")
class PolicyCount:
    value: str
    count: int
    label: str = strawberry.field(description="What to show: a topic's name; the value itself otherwise")

"""Public consultations (意见征集) over GraphQL: drafts open for comment, signed-in comments moderated by the site's
editors, and the feedback report on adoption once closed. docs/engagement.md"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from core import engagement as eg
from core.clock import local_date
from schema.context import Context
from schema.engagement_tv import parse_id
from schema.pagination import check_page
from schema.permissions import SITE_EDITOR, Need, acting_username, decide

Info = strawberry.Info[Context, None]


@strawberry.enum(description="Whether a consultation takes comments today (a Beijing date)")
class ConsultationState(Enum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


@strawberry.enum(description="A comment's moderation: only APPROVED comments are public")
class CommentState(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    HIDDEN = "hidden"


@strawberry.enum(description="What the drafters made of a comment (采纳情况)")
class Adoption(Enum):
    ADOPTED = "adopted"
    PARTLY = "partly"
    NOT_ADOPTED = "not_adopted"


@strawberry.type(description="A comment on a consultation; the author's name is shown masked (张*)")
class ConsultationComment:
    id: strawberry.ID
    author: str = strawberry.field(description="The commenter's name, masked (张*)")
    body: str
    submitted_at: datetime
    state: CommentState = strawberry.field(description="Moderation: PENDING until an editor decides")
    moderation_reason: str | None = strawberry.field(description="Why it was rejected or hidden")
    adoption: Adoption | None = strawberry.field(description="The feedback report's decision, once published")
    adoption_reason: str | None = strawberry.field(description="Why, as the feedback report says")

    @classmethod
    def of(cls, c: eg.Comment) -> ConsultationComment:
        return cls(
            id=strawberry.ID(str(c.id)),
            author=c.author,
            body=c.body,
            submitted_at=c.submitted_at,
            state=CommentState(c.state),
            moderation_reason=c.moderation_reason,
            adoption=Adoption(c.adoption) if c.adoption else None,
            adoption_reason=c.adoption_reason,
        )


@strawberry.type(description="One page of comments, oldest first")
class CommentPage:
    items: list[ConsultationComment]
    total: int
    page: int
    page_size: int


@strawberry.type(description="One decision of the feedback report, over one comment or a group of alike comments")
class FeedbackDecision:
    comments: list[strawberry.ID] = strawberry.field(description="The comments decided together")
    adoption: Adoption
    reason: str = strawberry.field(description="Why they were (not) adopted")


@strawberry.type(description="The feedback report on adoption (意见采纳情况反馈), published after closing")
class FeedbackReport:
    summary: str = strawberry.field(description="The drafters' overall account of the comments")
    published_at: datetime
    adopted: int = strawberry.field(description="Comments adopted")
    partly_adopted: int = strawberry.field(description="Comments partly adopted")
    not_adopted: int = strawberry.field(description="Comments not adopted")
    decisions: list[FeedbackDecision]

    @classmethod
    def of(cls, r: eg.FeedbackReport) -> FeedbackReport:
        return cls(
            summary=r.summary,
            published_at=r.published_at,
            adopted=r.counts["adopted"],
            partly_adopted=r.counts["partly"],
            not_adopted=r.counts["not_adopted"],
            decisions=[
                FeedbackDecision(
                    comments=[strawberry.ID(str(c)) for c in g.comments], adoption=Adoption(g.adoption), reason=g.reason
                )
                for g in r.groups
            ],
        )


@strawberry.type(description="A draft put out for public comment (意见征集)")
class Consultation:
    id: strawberry.ID
    site: strawberry.ID = strawberry.field(description="The site that puts the draft out")
    title: str
    body: str = strawberry.field(description="The draft's text (empty when the attachment holds it)")
    attachment_url: str | None = strawberry.field(description="The draft as a document (PDF, Word)")
    opens_on: date = strawberry.field(description="The first day comments are taken")
    closes_on: date = strawberry.field(description="The last day comments are taken")
    state: ConsultationState = strawberry.field(description="Whether it takes comments today")
    record: strawberry.Private[eg.Consultation]

    @classmethod
    def of(cls, c: eg.Consultation, today: date) -> Consultation:
        return cls(
            id=strawberry.ID(str(c.id)),
            site=strawberry.ID(c.site_id),
            title=c.title,
            body=c.body,
            attachment_url=c.attachment_url,
            opens_on=c.opens_on,
            closes_on=c.closes_on,
            state=ConsultationState(c.state_on(today)),
            record=c,
        )

    @strawberry.field(
        description="Its comments: the APPROVED (public) ones by default; other states are for the site's editors"
    )
    async def comments(
        self, info: Info, state: CommentState = CommentState.APPROVED, page: int = 1, page_size: int = 50
    ) -> CommentPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        if state is not CommentState.APPROVED:
            refusal = decide(
                await info.context.principal(), Need(role="editor", site_id=self.record.site_id), "comments"
            )
            if refusal is not None:
                raise refusal
        items, total = await eg.list_comments(
            pool=info.context.pool, consultation_id=self.record.id, states=[state.value], offset=offset, limit=limit
        )
        return CommentPage(
            items=[ConsultationComment.of(x) for x in items], total=total, page=page, page_size=page_size
        )

    @strawberry.field(description="The feedback report on adoption; null until published")
    async def feedback_report(self, info: Info) -> FeedbackReport | None:
        found = await eg.feedback_report(pool=info.context.pool, consultation_id=self.record.id)
        return FeedbackReport.of(found) if found else None


@strawberry.type(description="One page of consultations, newest first")
class ConsultationPage:
    items: list[Consultation]
    total: int
    page: int
    page_size: int


@strawberry.input(description="A decision of the feedback report: one comment, or alike comments together")
class FeedbackDecisionInput:
    comments: list[strawberry.ID]
    adoption: Adoption
    reason: str


@strawberry.type
class ConsultationQuery:
    @strawberry.field(description="Consultations, newest first; `site` and `state` narrow the list")
    async def consultations(
        self,
        info: Info,
        site: strawberry.ID | None = None,
        state: ConsultationState | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> ConsultationPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        c = info.context
        now = c.clock()
        items, total = await eg.list_consultations(
            pool=c.pool,
            site_id=str(site) if site else None,
            state=state.value if state else None,
            offset=offset,
            limit=limit,
            now=now,
        )
        today = local_date(now)
        return ConsultationPage(
            items=[Consultation.of(x, today) for x in items], total=total, page=page, page_size=page_size
        )

    @strawberry.field(description="One consultation with its public comments and, once published, its report")
    async def consultation(self, info: Info, id: strawberry.ID) -> Consultation:
        c = info.context
        found = await eg.get_consultation(pool=c.pool, consultation_id=parse_id(id, "consultation"))
        return Consultation.of(found, local_date(c.clock()))


@strawberry.type
class ConsultationMutation:
    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description=(
            "Put a draft out for public comment from opensOn to closesOn (Beijing dates, inclusive); the draft of a "
            "stored consultation again (a form sent twice) is CONFLICT naming it"
        ),
    )
    async def open_consultation(
        self,
        info: Info,
        site: strawberry.ID,
        title: str,
        body: str,
        opens_on: date,
        closes_on: date,
        attachment_url: str | None = None,
    ) -> Consultation:
        c = info.context
        draft = eg.ConsultationDraft(
            site_id=str(site),
            title=title,
            body=body,
            opens_on=opens_on,
            closes_on=closes_on,
            attachment_url=attachment_url,
        )
        now = c.clock()
        found = await eg.open_consultation(pool=c.pool, draft=draft, by=await acting_username(info), now=now)
        return Consultation.of(found, local_date(now))

    @strawberry.mutation(
        description="Comment on an open consultation as the signed-in person (UNAUTHENTICATED otherwise; the "
        "real-name level CONSULTATION_REAL_NAME_LEVEL, at least 1); the comment is PENDING until moderated. "
        "After closesOn: BAD_INPUT. At most CONSULTATION_COMMENTS_PER_HOUR a person an hour (CONFLICT past it)"
    )
    async def submit_consultation_comment(
        self, info: Info, consultation: strawberry.ID, body: str
    ) -> ConsultationComment:
        c = info.context
        principal = await c.signed_in()
        found = await eg.submit_comment(
            pool=c.pool,
            settings=c.settings,
            principal=principal,
            consultation_id=parse_id(consultation, "consultation"),
            body=body,
            now=c.clock(),
        )
        return ConsultationComment.of(found)

    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description="Moderate a comment on a consultation of the site: APPROVED makes it public; REJECTED and "
        "HIDDEN need a reason. Settled once the feedback report is published",
    )
    async def moderate_comment(
        self, info: Info, site: strawberry.ID, id: strawberry.ID, decision: CommentState, reason: str | None = None
    ) -> ConsultationComment:
        c = info.context
        found = await eg.moderate_comment(
            pool=c.pool,
            site_id=str(site),
            comment_id=parse_id(id, "comment"),
            decision=decision.value,
            reason=reason,
            by=await acting_username(info),
            now=c.clock(),
        )
        return ConsultationComment.of(found)

    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description="Publish the feedback report of a closed consultation, once: every public comment decided "
        "(adopted, partly, not adopted, with the reason), alike comments together; no comment may await moderation",
    )
    async def publish_feedback_report(
        self,
        info: Info,
        site: strawberry.ID,
        consultation: strawberry.ID,
        summary: str,
        decisions: list[FeedbackDecisionInput],
    ) -> FeedbackReport:
        c = info.context
        groups = [
            eg.FeedbackGroup(
                comments=tuple(parse_id(x, "comment") for x in d.comments), adoption=d.adoption.value, reason=d.reason
            )
            for d in decisions
        ]
        found = await eg.publish_feedback_report(
            pool=c.pool,
            site_id=str(site),
            consultation_id=parse_id(consultation, "consultation"),
            summary=summary,
            groups=groups,
            now=c.clock(),
        )
        return FeedbackReport.of(found)

"""沟通互动 over GraphQL: 政府信息依申请公开 (a signed-in person asks a unit; its editors extend once and answer)
and democratic votes (民主评议: a unit's editors open one; one ballot per real-name person)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from core.clock import local_date
from core.disclosure import requests as rq
from core.disclosure import votes
from core.disclosure.hierarchy import check_code
from schema.context import Context
from schema.disclosure import UNIT_EDITOR
from schema.disclosure_types import dx_uuid
from schema.permissions import acting_username

Info = strawberry.Info[Context, None]


@strawberry.type(description="A request for government information (依申请公开) to a unit")
class DisclosureRequest:
    id: strawberry.ID
    unit: str
    subject: str
    body: str
    submitted_at: datetime
    due_on: date = strawberry.field(description="The deadline in force: 20 working days, or 40 once extended")
    extended: bool
    extension_reason: str | None
    status: str = strawberry.field(description="open or answered")
    late: bool = strawberry.field(description="Answered after the deadline, or still open past it")
    answer: str | None
    answered_at: datetime | None

    @classmethod
    def of(cls, r: rq.InfoRequest, today: date) -> DisclosureRequest:
        return cls(
            id=strawberry.ID(str(r.id)),
            unit=r.unit_code,
            subject=r.subject,
            body=r.body,
            submitted_at=r.submitted_at,
            due_on=r.due,
            extended=r.extended_due_on is not None,
            extension_reason=r.extension_reason,
            status="answered" if r.answered_at else "open",
            late=r.late(today),
            answer=r.answer,
            answered_at=r.answered_at,
        )


@strawberry.type(description="Requests to a unit and below it: how many, open, past their deadline")
class RequestStats:
    total: int
    open: int
    overdue: int
    answered_late: int


def _today(info: Info) -> date:
    return local_date(info.context.clock())


@strawberry.type(description="How many ballots an option of a vote has")
class VoteCount:
    option: str
    count: int


@strawberry.type(description="A democratic vote or evaluation (民主评议) of a unit; one ballot per real-name person")
class DisclosureVote:
    id: strawberry.ID
    unit: str
    title: str
    options: list[str]
    opens_at: datetime
    closes_at: datetime
    open: bool
    total: int
    results: list[VoteCount]

    @classmethod
    def of(cls, v: votes.Vote, now: datetime) -> DisclosureVote:
        return cls(
            id=strawberry.ID(str(v.id)),
            unit=v.unit_code,
            title=v.title,
            options=v.options,
            opens_at=v.opens_at,
            closes_at=v.closes_at,
            open=v.open_at(now),
            total=sum(v.counts),
            results=[VoteCount(option=o, count=n) for o, n in zip(v.options, v.counts, strict=True)],
        )


@strawberry.type
class DisclosureRequestQuery:
    @strawberry.field(description="A vote of a unit with its count so far")
    async def disclosure_vote(self, info: Info, id: strawberry.ID) -> DisclosureVote:
        found = await votes.get_vote(pool=info.context.pool, vote_id=dx_uuid(str(id)))
        return DisclosureVote.of(found, info.context.clock())

    @strawberry.field(description="A request, for its requester or an editor of its unit")
    async def disclosure_request(self, info: Info, id: strawberry.ID) -> DisclosureRequest:
        principal = await info.context.signed_in()
        found = await rq.get_request(pool=info.context.pool, principal=principal, request_id=dx_uuid(str(id)))
        return DisclosureRequest.of(found, _today(info))

    @strawberry.field(description="Counts of the requests to a unit and below it (no personal data)")
    async def disclosure_request_stats(self, info: Info, unit: str) -> RequestStats:
        s = await rq.request_stats(pool=info.context.pool, unit=unit, now=info.context.clock())
        return RequestStats(total=s.total, open=s.open, overdue=s.overdue, answered_late=s.answered_late)


@strawberry.type
class DisclosureRequestMutation:
    @strawberry.mutation(description="Open a vote of the unit until closesAt", permission_classes=UNIT_EDITOR)
    async def create_disclosure_vote(
        self, info: Info, unit: str, title: str, options: list[str], closes_at: datetime
    ) -> DisclosureVote:
        c = info.context
        found = await votes.create_vote(
            pool=c.pool,
            unit=unit,
            title=title,
            options=options,
            closes_at=closes_at,
            by=await acting_username(info),
            now=c.clock(),
        )
        return DisclosureVote.of(found, c.clock())

    @strawberry.mutation(description="Cast your one ballot (signed in, real-name level 2 or above)")
    async def cast_disclosure_vote(self, info: Info, id: strawberry.ID, option: str) -> DisclosureVote:
        c = info.context
        principal = await c.signed_in()
        found = await votes.cast_ballot(
            pool=c.pool, principal=principal, vote_id=dx_uuid(str(id)), option=option, now=c.clock()
        )
        return DisclosureVote.of(found, c.clock())

    @strawberry.mutation(description="Ask a unit for government information (signed in); due in 20 working days")
    async def submit_disclosure_request(self, info: Info, unit: str, subject: str, body: str) -> DisclosureRequest:
        principal = await info.context.signed_in()
        found = await rq.submit_request(
            pool=info.context.pool, principal=principal, unit=unit, subject=subject, body=body, now=info.context.clock()
        )
        return DisclosureRequest.of(found, _today(info))

    @strawberry.mutation(
        description="Extend a request's deadline once by 20 working days, saying why", permission_classes=UNIT_EDITOR
    )
    async def extend_disclosure_request(
        self, info: Info, unit: str, id: strawberry.ID, reason: str
    ) -> DisclosureRequest:
        found = await rq.extend_request(
            pool=info.context.pool,
            request_id=dx_uuid(str(id)),
            unit=check_code(unit),
            reason=reason,
            now=info.context.clock(),
        )
        return DisclosureRequest.of(found, _today(info))

    @strawberry.mutation(description="Answer a request to the unit (once)", permission_classes=UNIT_EDITOR)
    async def answer_disclosure_request(
        self, info: Info, unit: str, id: strawberry.ID, answer: str
    ) -> DisclosureRequest:
        found = await rq.answer_request(
            pool=info.context.pool,
            request_id=dx_uuid(str(id)),
            unit=check_code(unit),
            answer=answer,
            by=await acting_username(info),
            now=info.context.clock(),
        )
        return DisclosureRequest.of(found, _today(info))

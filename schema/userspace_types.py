"""The user space's GraphQL types (schema/userspace.py has the operations): letters, replies, applications, `me`."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import strawberry

from core import applications as apps
from core import letters
from core.errors import Forbidden
from core.identity.principal import Principal
from schema.context import Context
from schema.disclosure_resident_types import (
    DisclosureNotificationPage,
    DisclosureSubscriptionEntry,
    notification_page,
    subscription_list,
)
from schema.pagination import check_page

Info = strawberry.Info[Context, None]


@strawberry.type(description="A department's answer to a letter")
class Reply:
    letter_id: strawberry.ID
    subject: str
    department: str
    body: str
    replied_at: datetime
    by: str | None = strawberry.field(description="Who answered, as the department signs it")
    late: bool = strawberry.field(description="Answered after the letter's deadline")

    @classmethod
    def of(cls, x: letters.Letter) -> Reply:
        assert x.reply_body is not None and x.replied_at is not None
        return cls(
            letter_id=strawberry.ID(str(x.id)),
            subject=x.subject,
            department=x.department,
            body=x.reply_body,
            replied_at=x.replied_at,
            by=x.replier_name,
            late=x.late,
        )


@strawberry.type(description="A letter (咨询 / 投诉 / 建议) written to a department of a site")
class Letter:
    id: strawberry.ID
    site: strawberry.ID
    kind: str = strawberry.field(description="咨询, 投诉 or 建议")
    department: str
    subject: str
    body: str
    consent_to_publish: bool
    submitted_at: datetime
    due_on: date = strawberry.field(description="The last working day a reply is on time (holiday calendar)")
    status: str = strawberry.field(description="open or replied")
    late: bool = strawberry.field(description="Answered after the deadline, or still open past it")
    reply: Reply | None
    published_url: str | None = strawberry.field(description="The page it was published as, with consent")

    @classmethod
    def of(cls, x: letters.Letter) -> Letter:
        return cls(
            id=strawberry.ID(str(x.id)),
            site=strawberry.ID(x.site_id),
            kind=x.kind,
            department=x.department,
            subject=x.subject,
            body=x.body,
            consent_to_publish=x.consent_to_publish,
            submitted_at=x.submitted_at,
            due_on=x.due_on,
            status="replied" if x.replied else "open",
            late=x.late,
            reply=Reply.of(x) if x.replied else None,
            published_url=x.published_url,
        )


@strawberry.type(description="One step an application went through")
class ApplicationStep:
    stage: str
    status: str
    note: str
    occurred_at: datetime


@strawberry.type(description="An application (办件) on the service platform and its progress")
class Application:
    platform: str
    application_id: strawberry.ID
    service: str
    department: str
    site: strawberry.ID | None
    stage: str = strawberry.field(description="受理, 审查, 决定, 办结, or what the platform reported")
    status: str
    note: str
    updated_at: datetime = strawberry.field(description="When the newest step happened")
    submitted_at: datetime
    steps: list[ApplicationStep]

    @classmethod
    def of(cls, a: apps.Application) -> Application:
        return cls(
            platform=a.platform,
            application_id=strawberry.ID(a.application_id),
            service=a.service,
            department=a.department,
            site=strawberry.ID(a.site_id) if a.site_id else None,
            stage=a.stage,
            status=a.status,
            note=a.note,
            updated_at=a.occurred_at,
            submitted_at=a.submitted_at,
            steps=[
                ApplicationStep(stage=s.stage, status=s.status, note=s.note, occurred_at=s.occurred_at) for s in a.steps
            ],
        )


@strawberry.type
class LetterPage:
    items: list[Letter]
    total: int
    page: int
    page_size: int


@strawberry.type
class ReplyPage:
    items: list[Reply]
    total: int
    page: int
    page_size: int


@strawberry.type
class ApplicationPage:
    items: list[Application]
    total: int
    page: int
    page_size: int


@strawberry.type(description="The signed-in user and their space across every site of the group")
class Me:
    id: strawberry.ID
    username: str
    name: str
    kind: str = strawberry.field(description="person (个人) or legal (法人)")
    real_name_level: int
    principal: strawberry.Private[Principal]

    @strawberry.field(description="Letters written, the newest first")
    async def letters(self, info: Info, page: int = 1, page_size: int = 20) -> LetterPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        found = await letters.list_letters(
            pool=info.context.pool,
            user_id=user_id_of(self.principal),
            offset=offset,
            limit=limit,
            now=info.context.clock(),
        )
        return LetterPage(items=[Letter.of(x) for x in found.items], total=found.total, page=page, page_size=page_size)

    @strawberry.field(description="Replies received, the latest first")
    async def replies(self, info: Info, page: int = 1, page_size: int = 20) -> ReplyPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        found = await letters.list_replies(
            pool=info.context.pool,
            user_id=user_id_of(self.principal),
            offset=offset,
            limit=limit,
            now=info.context.clock(),
        )
        return ReplyPage(items=[Reply.of(x) for x in found.items], total=found.total, page=page, page_size=page_size)

    @strawberry.field(description="New and revised disclosures of the units subscribed to, the newest first")
    async def disclosure_notifications(
        self, info: Info, page: int = 1, page_size: int = 20
    ) -> DisclosureNotificationPage:
        user_id_of(self.principal)
        return await notification_page(info, self.principal, page, page_size)

    @strawberry.field(description="Units (and boards) subscribed to for disclosure notifications")
    async def disclosure_subscriptions(self, info: Info) -> list[DisclosureSubscriptionEntry]:
        user_id_of(self.principal)
        return await subscription_list(info, self.principal)

    @strawberry.field(description="Applications on the service platform, the most recently moved first")
    async def applications(self, info: Info, page: int = 1, page_size: int = 20) -> ApplicationPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        found = await apps.list_applications(
            pool=info.context.pool, username=self.principal.username, offset=offset, limit=limit
        )
        items = [Application.of(a) for a in found.items]
        return ApplicationPage(items=items, total=found.total, page=page, page_size=page_size)


@strawberry.type(description="Something new in the user space: a reply, or an application's progress")
class UserUpdate:
    reply: Reply | None = None
    application: Application | None = None


def user_id_of(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Forbidden("the break-glass ADMIN_TOKEN names no person: sign in with an account to see a user space")
    return principal.user_id

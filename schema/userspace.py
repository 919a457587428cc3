"""The user space over GraphQL: `me` (letters, applications, replies), writing and answering letters, `myUpdates`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry

from core import applications as apps
from core import letters
from core.bus import ApplicationProgressed, LetterReplied, user_key
from core.errors import Forbidden, Invalid
from core.identity.principal import Principal
from schema.context import Context
from schema.pagination import check_page

Info = strawberry.Info[Context, None]
LIVE_QUEUE = 1000  # updates waiting for a slow subscriber; past it the producer waits (NATS buffers the rest)


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
            user_id=_user_id(self.principal),
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
            user_id=_user_id(self.principal),
            offset=offset,
            limit=limit,
            now=info.context.clock(),
        )
        return ReplyPage(items=[Reply.of(x) for x in found.items], total=found.total, page=page, page_size=page_size)

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


def _user_id(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Forbidden("the break-glass ADMIN_TOKEN names no person: sign in with an account to see a user space")
    return principal.user_id


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise Invalid(f"{what} {value!r} is not a letter id") from None


@strawberry.type
class UserSpaceQuery:
    @strawberry.field(description="The signed-in user (Authorization: Bearer <access token>); UNAUTHENTICATED if none")
    async def me(self, info: Info) -> Me:
        p = await info.context.signed_in()
        _user_id(p)
        return Me(
            id=strawberry.ID(str(p.user_id)),
            username=p.username,
            name=p.name,
            kind=p.kind,
            real_name_level=p.real_name_level,
            principal=p,
        )


@strawberry.type
class UserSpaceMutation:
    @strawberry.mutation(
        description="Write to a department of a site (咨询 / 投诉 / 建议); needs the site's real-name level. "
        "consentToPublish: once answered, the letter (without name or contact) is published on the site"
    )
    async def submit_letter(
        self,
        info: Info,
        site: strawberry.ID,
        kind: str,
        department: str,
        subject: str,
        body: str,
        consent_to_publish: bool = False,
    ) -> Letter:
        principal = await info.context.signed_in()
        draft = letters.Draft(
            site_id=str(site),
            kind=kind,
            department=department,
            subject=subject,
            body=body,
            consent_to_publish=consent_to_publish,
        )
        c = info.context
        found = await letters.submit_letter(
            pool=c.pool, bus=c.bus, settings=c.settings, principal=principal, draft=draft, now=c.clock()
        )
        return Letter.of(found)

    @strawberry.mutation(description="Answer a letter: needs the replier role of the letter's department; once only")
    async def reply_letter(self, info: Info, id: strawberry.ID, body: str) -> Letter:
        principal = await info.context.signed_in()
        c = info.context
        found = await letters.reply_letter(
            pool=c.pool,
            bus=c.bus,
            settings=c.settings,
            principal=principal,
            letter_id=_uuid(str(id), "id"),
            body=body,
            now=c.clock(),
        )
        return Letter.of(found)


@strawberry.type
class UserSpaceSubscription:
    @strawberry.subscription(
        description="Replies and application progress of the signed-in user, live (token in connection_init)"
    )
    async def my_updates(self, info: Info) -> AsyncGenerator[UserUpdate]:
        principal = await info.context.signed_in()
        user_id, key, bus = _user_id(principal), user_key(principal.username), info.context.bus
        feeds = (
            bus.live(LetterReplied, f"{LetterReplied.SUBJECT}.{key}"),
            bus.live(ApplicationProgressed, f"{ApplicationProgressed.SUBJECT}.{key}"),
        )
        async for event in merged(*feeds):
            await info.context.signed_in()  # a token that expired or a session that ended stops the feed
            update = await _update_of(info, event, user_id=user_id, username=principal.username)
            if update is not None:
                yield update


async def _update_of(info: Info, event: Any, *, user_id: UUID, username: str) -> UserUpdate | None:
    """The current state behind a live event (re-read from Postgres), if it is this user's."""
    pool, now = info.context.pool, info.context.clock()
    if isinstance(event, LetterReplied):
        found = await letters.get_letter(pool=pool, letter_id=UUID(event.letter_id), now=now)
        return UserUpdate(reply=Reply.of(found)) if found and found.user_id == user_id and found.replied else None
    app = await apps.get_application(pool=pool, platform=event.platform, application_id=event.application_id)
    return UserUpdate(application=Application.of(app)) if app and app.username == username else None


async def merged(*feeds: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Items of several live feeds as they come; a feed that fails ends the whole with its error."""
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=LIVE_QUEUE)

    async def pump(feed: AsyncIterator[Any]) -> None:
        async for item in feed:
            await queue.put(item)

    tasks = [asyncio.create_task(pump(f)) for f in feeds]
    try:
        while True:
            getting = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait([getting, *tasks], return_when=asyncio.FIRST_COMPLETED)
            if getting not in done:
                getting.cancel()
                for t in done:
                    t.result()  # raises a feed's error; a feed that just ended leaves the others running
                tasks = [t for t in tasks if not t.done()]
                if not tasks:
                    return
                continue
            yield getting.result()
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

"""The user space over GraphQL: `me` (letters, applications, replies), writing and answering letters, `myUpdates`
(the types are in schema/userspace_types.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from uuid import UUID

import strawberry

from core import applications as apps
from core import letters
from core.bus import ApplicationProgressed, LetterReplied, user_key
from core.errors import Invalid, Unauthenticated, YiwangError
from core.identity.principal import Principal
from schema.context import Context
from schema.permissions import Need, audit, decide
from schema.userspace_types import Application, Letter, Me, Reply, UserUpdate, user_id_of

Info = strawberry.Info[Context, None]
LIVE_QUEUE = 1000  # updates waiting for a slow subscriber; past it the producer waits (NATS buffers the rest)


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
        user_id_of(p)
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
        c = info.context
        principal, letter_id = await _replier(info, str(id), body)
        found = await letters.reply_letter(
            pool=c.pool,
            bus=c.bus,
            settings=c.settings,
            principal=principal,
            letter_id=letter_id,
            body=body,
            now=c.clock(),
        )
        return Letter.of(found)


async def _replier(info: Info, raw_id: str, body: str) -> tuple[Principal, UUID]:
    """The caller of replyLetter and the letter's id, audited like every guarded call (schema.permissions): the
    replier role of the letter's department, allowed or refused. Who calls is settled first (an anonymous caller
    is UNAUTHENTICATED whatever the id); a bad or unknown id of a signed-in caller is left to BAD_INPUT/NOT_FOUND."""
    c = info.context
    refusal: YiwangError | None = None
    try:
        principal = await c.principal()
    except Unauthenticated as exc:
        principal, refusal = None, exc
    try:
        letter_id: UUID | None = _uuid(raw_id, "id")
    except Invalid:
        if principal is not None:
            raise
        letter_id = None
    letter = await letters.get_letter(pool=c.pool, letter_id=letter_id, now=c.clock()) if letter_id else None
    if letter is None and principal is not None and letter_id is not None:
        return principal, letter_id
    need = Need(role="replier", department=letter.department if letter else None)
    refusal = refusal or decide(principal, need, info.field_name)
    await audit(info, principal, need, {"id": raw_id, "body": body}, refusal)
    if refusal is not None:
        raise refusal
    assert principal is not None and letter_id is not None  # decide refuses anonymous callers
    return principal, letter_id


@strawberry.type
class UserSpaceSubscription:
    @strawberry.subscription(
        description="Replies and application progress of the signed-in user, live (token in connection_init)"
    )
    async def my_updates(self, info: Info) -> AsyncGenerator[UserUpdate]:
        principal = await info.context.signed_in()
        user_id, key, bus = user_id_of(principal), user_key(principal.username), info.context.bus
        feeds = (
            bus.live(LetterReplied, f"{LetterReplied.SUBJECT}.{key}"),
            bus.live(ApplicationProgressed, f"{ApplicationProgressed.SUBJECT}.{key}"),
        )
        async for event in merged(*feeds):
            await info.context.signed_in(fresh=True)  # a token that expired or a session that ended stops the feed
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

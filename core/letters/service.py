"""Writing, answering and listing letters; the functions the GraphQL layer and the demo call."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg

from core.bus import Bus, LetterReplied, LetterSubmitted
from core.clock import local_date
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.identity.principal import Principal
from core.letters import store
from core.letters.deadlines import add_working_days
from core.letters.models import BODY_MAX, DEPARTMENT_MAX, KINDS, SUBJECT_MAX, Letter, LetterPage
from core.letters.publication import PublishedLetter, letter_page, letter_url, published
from core.setting_values import number_pairs
from core.settings import Settings
from core.sites import check_site_id, get_site

SAME_LETTER_WINDOW = timedelta(days=1)  # a letter sent again within it, unanswered, is the same letter

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Draft:
    """What a user writes: checked by `check`, which returns it trimmed."""

    site_id: str
    kind: str
    department: str
    subject: str
    body: str
    consent_to_publish: bool = False

    def check(self) -> Draft:
        if self.kind not in KINDS:
            raise Invalid(f"kind must be one of {' / '.join(KINDS)}, not {self.kind!r}")
        return Draft(
            site_id=check_site_id(self.site_id, where="site"),
            kind=self.kind,
            department=_text("department", self.department, DEPARTMENT_MAX),
            subject=_text("subject", self.subject, SUBJECT_MAX),
            body=_text("body", self.body, BODY_MAX),
            consent_to_publish=self.consent_to_publish,
        )


def _text(name: str, value: str, most: int) -> str:
    value = value.strip()
    if not value:
        raise Invalid(f"{name} must not be empty")
    if len(value) > most:
        raise Invalid(f"{name} is {len(value)} characters; at most {most} are allowed")
    return value


def required_level(settings: Settings, site_id: str) -> int:
    """The real-name level a letter on the site needs: LETTER_SITE_LEVELS, else LETTER_REAL_NAME_LEVEL."""
    return number_pairs("LETTER_SITE_LEVELS", settings.letter_site_levels).get(site_id, settings.letter_real_name_level)


def reply_days(settings: Settings, kind: str) -> int:
    return number_pairs("LETTER_REPLY_DAYS", settings.letter_reply_days)[kind]


def _person(principal: Principal) -> UUID:
    if principal.user_id is None:
        raise Forbidden("the break-glass ADMIN_TOKEN names no person: sign in with an account to write or reply")
    return principal.user_id


async def submit_letter(
    *, pool: asyncpg.Pool, bus: Bus, settings: Settings, principal: Principal, draft: Draft, now: datetime
) -> Letter:
    """Store a letter of a signed-in user at the site's real-name level; its deadline counts working days."""
    user_id = _person(principal)
    draft = draft.check()
    await get_site(pool, draft.site_id)  # NotFound for an unknown site
    needed = required_level(settings, draft.site_id)
    if principal.real_name_level < needed:
        raise Forbidden(
            f"letters on site {draft.site_id} need real-name level {needed}; your account is at level "
            f"{principal.real_name_level}: verify your identity (实名认证) first"
        )
    due_on = add_working_days(local_date(now), reply_days(settings, draft.kind))
    values = {**vars(draft), "user_id": user_id, "username": principal.username, "submitted_at": now, "due_on": due_on}
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_writer(conn, user_id)
        sent = await store.same_letter(conn, values=values, since=now - SAME_LETTER_WINDOW, today=local_date(now))
        if sent is not None:  # the same letter sent again (a double click, a retry): one letter, one deadline
            return sent
        letter = await store.insert_letter(conn, values=values, today=local_date(now))
    await bus.publish(
        LetterSubmitted(
            letter_id=str(letter.id),
            site_id=letter.site_id,
            kind=letter.kind,
            department=letter.department,
            due_on=due_on.isoformat(),
            at=now.isoformat(),
        )
    )
    return letter


async def reply_letter(
    *, pool: asyncpg.Pool, bus: Bus, settings: Settings, principal: Principal, letter_id: UUID, body: str, now: datetime
) -> Letter:
    """The department's one reply, by a replier of that department; then the writer is told, and a letter
    written with consent to publish becomes a document of its site."""
    body = _text("body", body, BODY_MAX)
    today = local_date(now)
    async with pool.acquire() as conn:
        letter = await store.get_letter(conn, letter_id, today)
        if letter is None:
            raise NotFound(f"no letter with id {letter_id}")
        if not principal.has_role("replier", department=letter.department):
            raise Forbidden(f"replying needs the replier role of {letter.department}")
        answered = await store.set_reply(
            conn,
            letter_id=letter_id,
            body=body,
            at=now,
            replier_id=principal.user_id,
            replier_name=principal.name,
            today=today,
        )
    if answered is None:
        answered = await _same_reply_again(pool, letter_id, body, today)
    return await _announce_reply(pool=pool, bus=bus, settings=settings, answered=answered)


async def _same_reply_again(pool: asyncpg.Pool, letter_id: UUID, body: str, today: date) -> Letter:
    """A reply sent again with the same words is the retry of one whose announcement failed (NATS away, the
    process gone after the commit): it succeeds and announces again, under the same keys. Other words: Conflict."""
    async with pool.acquire() as conn:
        current = await store.get_letter(conn, letter_id, today)
    if current is None or current.reply_body != body:
        raise Conflict(f"letter {letter_id} was answered already; a letter gets one reply")
    return current


async def _announce_reply(*, pool: asyncpg.Pool, bus: Bus, settings: Settings, answered: Letter) -> Letter:
    """Tell the writer (LetterReplied) and publish a letter written with consent; both keyed, so again is once."""
    assert answered.replied_at is not None
    await bus.publish(
        LetterReplied(
            letter_id=str(answered.id),
            username=answered.username,
            site_id=answered.site_id,
            department=answered.department,
            late=answered.late,
            at=answered.replied_at.isoformat(),
        )
    )
    if answered.consent_to_publish and answered.published_url is None:
        answered = await publish_letter(pool=pool, bus=bus, settings=settings, letter=answered)
    return answered


async def publish_letter(*, pool: asyncpg.Pool, bus: Bus, settings: Settings, letter: Letter) -> Letter:
    """Send the answered letter to the document store (the indexer stores it, search indexes it)."""
    site = await get_site(pool, letter.site_id)
    starts = list(site.config.get("start_urls") or [])
    url = letter_url(settings.letter_url_template, start_urls=starts, portal=settings.issuer, letter=letter)
    await bus.publish(letter_page(letter, url))
    async with pool.acquire() as conn:
        await store.set_published(conn, letter.id, url)
    log.info("letter published", extra={"letter_id": str(letter.id), "site": letter.site_id})
    return Letter(**{**vars(letter), "published_url": url})


async def list_letters(*, pool: asyncpg.Pool, user_id: UUID, offset: int, limit: int, now: datetime) -> LetterPage:
    async with pool.acquire() as conn:
        items, total = await store.letters_of(conn, user_id=user_id, offset=offset, limit=limit, today=local_date(now))
    return LetterPage(items=items, total=total)


async def list_replies(*, pool: asyncpg.Pool, user_id: UUID, offset: int, limit: int, now: datetime) -> LetterPage:
    """The user's answered letters, the latest reply first."""
    async with pool.acquire() as conn:
        items, total = await store.replies_of(conn, user_id=user_id, offset=offset, limit=limit, today=local_date(now))
    return LetterPage(items=items, total=total)


async def get_letter(*, pool: asyncpg.Pool, letter_id: UUID, now: datetime) -> Letter | None:
    async with pool.acquire() as conn:
        return await store.get_letter(conn, letter_id, local_date(now))


async def get_published_letter(*, pool: asyncpg.Pool, letter_id: UUID, now: datetime) -> PublishedLetter | None:
    """A letter's public view once it is published (answered, with its writer's consent); else None, the same
    for a letter that does not exist as for one that is not public."""
    letter = await get_letter(pool=pool, letter_id=letter_id, now=now)
    if letter is None or letter.published_url is None or not letter.replied:
        return None
    return published(letter, letter.published_url)

"""Public consultations (意见征集): drafts open for comment, signed-in comments moderated before they are public,
and the feedback report on adoption once the consultation has closed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg

from core.clock import beijing_time, local_date
from core.engagement import consultation_store as cs
from core.engagement.models import (
    ADOPTIONS,
    COMMENT_MAX,
    CONSULTATION_BODY_MAX,
    MODERATIONS,
    REASON_MAX,
    TITLE_MAX,
    Comment,
    Consultation,
    FeedbackGroup,
    FeedbackReport,
)
from core.engagement.text import check_text, check_url
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.identity.principal import Principal
from core.settings import Settings
from core.sites import check_site_id, get_site

log = logging.getLogger(__name__)
MAX_OPEN_DAYS = 366
STATES = ("upcoming", "open", "closed")


@dataclass(frozen=True, kw_only=True)
class ConsultationDraft:
    """What an editor puts out for comment: checked by `check`, which returns it trimmed."""

    site_id: str
    title: str
    body: str
    opens_on: date
    closes_on: date
    attachment_url: str | None = None

    def check(self, today: date) -> ConsultationDraft:
        attachment = check_url("attachmentUrl", self.attachment_url)
        body = self.body.strip()
        if not body and attachment is None:
            raise Invalid("body must not be empty unless attachmentUrl names the draft")
        if len(body) > CONSULTATION_BODY_MAX:
            raise Invalid(f"body is {len(body)} characters; at most {CONSULTATION_BODY_MAX} are allowed")
        if self.closes_on < self.opens_on:
            raise Invalid(f"closesOn {self.closes_on} is before opensOn {self.opens_on}")
        if self.closes_on < today:
            raise Invalid(f"closesOn {self.closes_on} is in the past (today is {today})")
        if (self.closes_on - self.opens_on).days > MAX_OPEN_DAYS:
            raise Invalid(f"a consultation is open at most {MAX_OPEN_DAYS} days")
        return ConsultationDraft(
            site_id=check_site_id(self.site_id, where="site"),
            title=check_text("title", self.title, TITLE_MAX),
            body=body,
            opens_on=self.opens_on,
            closes_on=self.closes_on,
            attachment_url=attachment,
        )


async def open_consultation(*, pool: asyncpg.Pool, draft: ConsultationDraft, by: str, now: datetime) -> Consultation:
    """Put a draft out for comment. The same draft again (site, title, text, attachment and dates) is Conflict
    naming the one stored: a form sent twice would split the public's comments between two consultations."""
    draft = draft.check(local_date(now))
    await get_site(pool, draft.site_id)  # NotFound for an unknown site
    values = {**vars(draft), "created_by": by}
    async with pool.acquire() as conn, conn.transaction():
        if (stored := await cs.same_consultation(conn, values)) is not None:  # a form sent twice: two to comment on
            raise Conflict(f"「{draft.title}」 of these dates and text is stored already as consultation {stored}")
        return await cs.insert_consultation(conn, values)


async def get_consultation(*, pool: asyncpg.Pool, consultation_id: UUID) -> Consultation:
    async with pool.acquire() as conn:
        found = await cs.get_consultation(conn, consultation_id)
    if found is None:
        raise NotFound(f"no consultation with id {consultation_id}")
    return found


async def list_consultations(
    *, pool: asyncpg.Pool, site_id: str | None, state: str | None, offset: int, limit: int, now: datetime
) -> tuple[list[Consultation], int]:
    if state is not None and state not in STATES:
        raise Invalid(f"state must be one of {' / '.join(STATES)}, not {state!r}")
    site = check_site_id(site_id, where="site") if site_id else None
    async with pool.acquire() as conn:
        return await cs.list_consultations(
            conn, today=local_date(now), state=state, site_id=site, offset=offset, limit=limit
        )


async def list_comments(
    *, pool: asyncpg.Pool, consultation_id: UUID, states: list[str], offset: int, limit: int
) -> tuple[list[Comment], int]:
    async with pool.acquire() as conn:
        return await cs.comments(conn, consultation_id, states=states, offset=offset, limit=limit)


def required_level(settings: Settings) -> int:
    """The real-name level commenting needs: CONSULTATION_REAL_NAME_LEVEL, never below 1."""
    return max(1, settings.consultation_real_name_level)


def masked(name: str) -> str:
    """The name shown beside a public comment: 张三 → 张*, 欧阳修 → 欧**."""
    name = name.strip() or "网友"
    return name[0] + "*" * min(len(name) - 1, 3) if len(name) > 1 else name


def _may_comment(principal: Principal, settings: Settings) -> UUID:
    if principal.user_id is None:
        raise Forbidden("the break-glass ADMIN_TOKEN names no person: sign in with an account to comment")
    needed = required_level(settings)
    if principal.real_name_level < needed:
        raise Forbidden(
            f"commenting on a consultation needs real-name level {needed}; your account is at level "
            f"{principal.real_name_level}: verify your identity (实名认证) first"
        )
    return principal.user_id


def _check_open(c: Consultation, today: date) -> None:
    if today > c.closes_on:
        raise Invalid(f"consultation 「{c.title}」 closed on {c.closes_on}: comments are no longer taken")
    if today < c.opens_on:
        raise Invalid(f"consultation 「{c.title}」 opens on {c.opens_on}: comments are taken from that day")


async def submit_comment(
    *, pool: asyncpg.Pool, settings: Settings, principal: Principal, consultation_id: UUID, body: str, now: datetime
) -> Comment:
    """A signed-in person's comment at the required real-name level while the consultation is open; it waits
    for moderation. At most CONSULTATION_COMMENTS_PER_HOUR a person in any hour."""
    user_id = _may_comment(principal, settings)
    body = check_text("body", body, COMMENT_MAX)
    limit = settings.consultation_comments_per_hour
    async with pool.acquire() as conn, conn.transaction():
        consultation = await cs.get_consultation(conn, consultation_id)
        if consultation is None:
            raise NotFound(f"no consultation with id {consultation_id}")
        _check_open(consultation, local_date(now))
        await cs.lock_user(conn, user_id)
        sent = await cs.same_comment(conn, consultation_id, user_id, body)
        if sent is not None:  # the same text sent again (a double click, a retry): one comment, as it stands
            return sent
        recent = await cs.comments_since(conn, user_id, now - timedelta(hours=1))
        if limit > 0 and len(recent) >= limit:
            again = beijing_time(recent[0] + timedelta(hours=1))
            raise Conflict(f"at most {limit} comments an hour: you can comment again after {again} (Beijing time)")
        values = {
            "consultation_id": consultation_id,
            "user_id": user_id,
            "username": principal.username,
            "author": masked(principal.name),
            "body": body,
            "submitted_at": now,
        }
        return await cs.insert_comment(conn, values)


async def moderate_comment(
    *, pool: asyncpg.Pool, site_id: str, comment_id: UUID, decision: str, reason: str | None, by: str, now: datetime
) -> Comment:
    """Approve (the comment becomes public), reject or hide it (a reason is required); not once reported on."""
    if decision not in MODERATIONS:
        raise Invalid(f"decision must be one of {' / '.join(MODERATIONS)}, not {decision!r}")
    why = check_text("reason", reason, REASON_MAX) if decision != "approved" or (reason or "").strip() else None
    async with pool.acquire() as conn, conn.transaction():
        comment = await cs.get_comment(conn, comment_id)
        consultation = await cs.get_consultation(conn, comment.consultation_id, lock=True) if comment else None
        if comment is None or consultation is None or consultation.site_id != site_id:
            raise NotFound(f"no comment with id {comment_id} on a consultation of site {site_id}")
        if consultation.report_published_at is not None:
            raise Conflict("the feedback report of this consultation is published: its comments are settled")
        return await cs.moderate(conn, comment_id, state=decision, reason=why, by=by, at=now)


def _check_groups(groups: list[FeedbackGroup], approved: set[UUID]) -> list[FeedbackGroup]:
    seen: set[UUID] = set()
    checked = []
    for n, g in enumerate(groups, start=1):
        if g.adoption not in ADOPTIONS:
            raise Invalid(f"decision {n}: adoption must be one of {' / '.join(ADOPTIONS)}, not {g.adoption!r}")
        if not g.comments:
            raise Invalid(f"decision {n} names no comment")
        strangers = [str(c) for c in g.comments if c not in approved]
        if strangers:
            raise Invalid(f"decision {n}: not public comments of this consultation: {', '.join(strangers)}")
        twice = [str(c) for c in g.comments if c in seen]
        if twice:
            raise Invalid(f"decision {n}: comments decided twice: {', '.join(twice)}")
        seen |= set(g.comments)
        reason = check_text(f"decision {n}: reason", g.reason, REASON_MAX)
        checked.append(FeedbackGroup(comments=g.comments, adoption=g.adoption, reason=reason))
    missing = approved - seen
    if missing:
        raise Invalid(f"the report must decide every public comment; {len(missing)} are not decided")
    return checked


async def publish_feedback_report(
    *,
    pool: asyncpg.Pool,
    site_id: str,
    consultation_id: UUID,
    summary: str,
    groups: list[FeedbackGroup],
    now: datetime,
) -> FeedbackReport:
    """Once closed and every comment moderated: each public comment adopted, partly adopted or not adopted with
    the reason (alike comments decided together); published once."""
    summary = check_text("summary", summary, 5000)
    async with pool.acquire() as conn, conn.transaction():
        c = await cs.get_consultation(conn, consultation_id, lock=True)
        if c is None or c.site_id != site_id:
            raise NotFound(f"no consultation with id {consultation_id} on site {site_id}")
        if local_date(now) <= c.closes_on:
            raise Invalid(f"consultation 「{c.title}」 closes on {c.closes_on}: publish its feedback report after that")
        if c.report_published_at is not None:
            raise Conflict(f"the feedback report of 「{c.title}」 was published on {c.report_published_at:%Y-%m-%d}")
        pending = (await cs.count_states(conn, consultation_id)).get("pending", 0)
        if pending:
            raise Invalid(f"{pending} comments await moderation: approve, reject or hide them first")
        checked = _check_groups(groups, await cs.approved_ids(conn, consultation_id))
        if not await cs.write_report(conn, consultation_id, summary=summary, groups=checked, at=now):
            raise Conflict(f"the feedback report of 「{c.title}」 was published already")
    report = await feedback_report(pool=pool, consultation_id=consultation_id)
    assert report is not None
    return report


async def feedback_report(*, pool: asyncpg.Pool, consultation_id: UUID) -> FeedbackReport | None:
    """The published report, None before."""
    async with pool.acquire() as conn:
        c = await cs.get_consultation(conn, consultation_id)
        if c is None or c.report_published_at is None or c.report_summary is None:
            return None
        groups = await cs.decisions(conn, consultation_id)
    counts = dict.fromkeys(ADOPTIONS, 0)
    for g in groups:
        counts[g.adoption] += len(g.comments)
    return FeedbackReport(
        consultation_id=c.id, summary=c.report_summary, published_at=c.report_published_at, groups=groups, counts=counts
    )

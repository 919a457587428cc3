"""政府信息依申请公开: requests to a unit, answered within 20 working days of the holiday calendar, extendable
once by 20 more with a reason; the requester and the unit's editors see a request, everyone its unit's counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from core.clock import local_date
from core.disclosure import store
from core.disclosure.hierarchy import check_code, site_id_of, subtree
from core.disclosure.items import text_field
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.identity.principal import Principal
from core.letters import add_working_days
from core.locks import Lock

ANSWER_DAYS = 20  # working days to answer, and the most one extension may add
COLUMNS = """id, unit_code, user_id, username, subject, body, submitted_at, due_on, extended_due_on,
             extension_reason, answer, answered_at, answered_by"""


@dataclass(frozen=True, kw_only=True)
class InfoRequest:
    """A request and where it stands; `due` is the deadline in force (extended or not)."""

    id: UUID
    unit_code: str
    user_id: UUID
    username: str
    subject: str
    body: str
    submitted_at: datetime
    due_on: date
    extended_due_on: date | None
    extension_reason: str | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None

    @property
    def due(self) -> date:
        return self.extended_due_on or self.due_on

    def late(self, today: date) -> bool:
        return (local_date(self.answered_at) if self.answered_at else today) > self.due


def _request(r: asyncpg.Record | None) -> InfoRequest | None:
    return InfoRequest(**dict(r)) if r else None


def _editor(principal: Principal, unit_code: str) -> bool:
    return principal.has_role("editor", site_id=site_id_of(unit_code))


async def submit_request(
    *, pool: asyncpg.Pool, principal: Principal, unit: str, subject: str, body: str, now: datetime
) -> InfoRequest:
    """A signed-in person's request; due on the 20th working day after the day it arrives."""
    if principal.user_id is None:
        raise Forbidden("the break-glass ADMIN_TOKEN names no person: sign in with an account to ask")
    code = check_code(unit)
    if await store.get_unit(pool, code) is None:
        raise NotFound(f"no unit with code {code}")
    due = add_working_days(local_date(now), ANSWER_DAYS)
    subject, body = text_field("subject", subject, 100), text_field("body", body, 5000)
    async with pool.acquire() as conn, conn.transaction():
        await Lock.DISCLOSURE_REQUEST.hold(conn, str(principal.user_id))
        # the same request sent again while the first is unanswered (a double click, a retry): the one already sent
        row = await conn.fetchrow(
            f"""select {COLUMNS} from disclosure_requests where user_id = $1 and unit_code = $2 and subject = $3
                  and body = $4 and answered_at is null order by submitted_at limit 1""",
            principal.user_id,
            code,
            subject,
            body,
        ) or await conn.fetchrow(
            f"""insert into disclosure_requests (unit_code, user_id, username, subject, body, submitted_at, due_on)
                values ($1, $2, $3, $4, $5, $6, $7) returning {COLUMNS}""",
            code,
            principal.user_id,
            principal.username,
            subject,
            body,
            now,
            due,
        )
    return _request(row)  # type: ignore[return-value]


async def get_request(*, pool: asyncpg.Pool, principal: Principal, request_id: UUID) -> InfoRequest:
    """The request, for its requester or an editor of its unit (NotFound for anyone else: its existence is theirs)."""
    found = _request(await pool.fetchrow(f"select {COLUMNS} from disclosure_requests where id = $1", request_id))
    if found is None or (found.user_id != principal.user_id and not _editor(principal, found.unit_code)):
        raise NotFound(f"no request with id {request_id}")
    return found


async def _unit_request(conn: asyncpg.Connection, request_id: UUID, unit: str) -> InfoRequest:
    found = _request(
        await conn.fetchrow(f"select {COLUMNS} from disclosure_requests where id = $1 for update", request_id)
    )
    if found is None:
        raise NotFound(f"no request with id {request_id}")
    if found.unit_code != unit:
        raise Forbidden(f"request {request_id} was made to unit {found.unit_code}, not to unit {unit}")
    if found.answered_at is not None:
        raise Conflict(f"request {request_id} was answered already")
    return found


async def extend_request(*, pool: asyncpg.Pool, request_id: UUID, unit: str, reason: str, now: datetime) -> InfoRequest:
    """Extend once, before the deadline passes, by 20 working days, saying why (the requester is told)."""
    reason = text_field("reason", reason, 500)
    async with pool.acquire() as conn, conn.transaction():
        found = await _unit_request(conn, request_id, check_code(unit))
        if found.extended_due_on is not None:
            raise Conflict(f"request {request_id} was extended already: the law allows one extension")
        if local_date(now) > found.due_on:
            raise Invalid(f"request {request_id} was due on {found.due_on}: a deadline past cannot be extended")
        row = await conn.fetchrow(
            f"""update disclosure_requests set extended_due_on = $2, extension_reason = $3 where id = $1
                returning {COLUMNS}""",
            request_id,
            add_working_days(found.due_on, ANSWER_DAYS),
            reason,
        )
    return _request(row)  # type: ignore[return-value]


async def answer_request(
    *, pool: asyncpg.Pool, request_id: UUID, unit: str, answer: str, by: str, now: datetime
) -> InfoRequest:
    """The unit's one answer."""
    answer = text_field("answer", answer, 5000)
    async with pool.acquire() as conn, conn.transaction():
        await _unit_request(conn, request_id, check_code(unit))
        row = await conn.fetchrow(
            f"""update disclosure_requests set answer = $2, answered_at = $3, answered_by = $4 where id = $1
                returning {COLUMNS}""",
            request_id,
            answer,
            now,
            by,
        )
    return _request(row)  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True)
class RequestStats:
    """A unit's requests (and those below it), with no personal data: how many, open, late."""

    total: int
    open: int
    overdue: int
    answered_late: int


async def request_stats(*, pool: asyncpg.Pool, unit: str, now: datetime) -> RequestStats:
    row = await pool.fetchrow(
        """select count(*) as total, count(*) filter (where answered_at is null) as open,
                  count(*) filter (where answered_at is null and coalesce(extended_due_on, due_on) < $2) as overdue,
                  count(*) filter (where answered_at is not null
                                   and (answered_at at time zone 'Asia/Shanghai')::date
                                       > coalesce(extended_due_on, due_on)) as answered_late
           from disclosure_requests where unit_code between $1 and $3""",
        subtree(check_code(unit))[0],
        local_date(now),
        subtree(check_code(unit))[1],
    )
    return RequestStats(
        total=row["total"], open=row["open"], overdue=row["overdue"], answered_late=row["answered_late"]
    )

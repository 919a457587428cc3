"""The SQL of the `letters` table (core.letters owns it; core.monitoring reads the `letter_deadlines` view)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from core.clock import local_date
from core.letters.models import Letter
from core.locks import Lock

COLUMNS = """id, user_id, username, site_id, kind, department, subject, body, consent_to_publish, submitted_at,
             due_on, reply_body, replied_at, replier_name, published_url"""
INSERT = f"""
    insert into letters (user_id, username, site_id, kind, department, subject, body, consent_to_publish,
                         submitted_at, due_on)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning {COLUMNS}"""
REPLY = f"""
    update letters set reply_body = $2, replied_at = $3, replier_id = $4, replier_name = $5
    where id = $1 and replied_at is null returning {COLUMNS}"""
# One round trip a page: the page and the user's total in one statement (both from the user's index range).
BY_USER = f"""
    with total as (select count(*) as n from letters where user_id = $1)
    select total.n as total, page.* from total left join lateral (
        select {COLUMNS} from letters where user_id = $1 order by submitted_at desc, id desc offset $2 limit $3
    ) page on true"""
REPLIES_BY_USER = f"""
    with total as (select count(*) as n from letters where user_id = $1 and replied_at is not null)
    select total.n as total, page.* from total left join lateral (
        select {COLUMNS} from letters where user_id = $1 and replied_at is not null
        order by replied_at desc, id desc offset $2 limit $3
    ) page on true"""


def _letter(r: asyncpg.Record | dict[str, Any], today: date) -> Letter:
    replied_at = r["replied_at"]
    late = (replied_at is not None and local_date(replied_at) > r["due_on"]) or (
        replied_at is None and today > r["due_on"]
    )
    return Letter(**dict(r), late=late)


async def insert_letter(conn: Any, *, values: dict[str, Any], today: date) -> Letter:
    row = await conn.fetchrow(
        INSERT,
        values["user_id"],
        values["username"],
        values["site_id"],
        values["kind"],
        values["department"],
        values["subject"],
        values["body"],
        values["consent_to_publish"],
        values["submitted_at"],
        values["due_on"],
    )
    return _letter(row, today)


async def same_letter(conn: Any, *, values: dict[str, Any], since: datetime, today: date) -> Letter | None:
    """The writer's unanswered letter with exactly these site, kind, department, subject and body, sent since
    `since`: the one a second click or a retry would send again. Call under `lock_writer`."""
    row = await conn.fetchrow(
        f"""select {COLUMNS} from letters
            where user_id = $1 and site_id = $2 and kind = $3 and department = $4 and subject = $5 and body = $6
              and submitted_at >= $7 and replied_at is null
            order by submitted_at limit 1""",
        values["user_id"],
        values["site_id"],
        values["kind"],
        values["department"],
        values["subject"],
        values["body"],
        since,
    )
    return _letter(row, today) if row else None


async def lock_writer(conn: Any, user_id: UUID) -> None:
    """Serialise one writer's letters for the rest of the transaction (two clicks at once are one letter)."""
    await Lock.LETTER.hold(conn, str(user_id))


async def get_letter(conn: Any, letter_id: UUID, today: date) -> Letter | None:
    row = await conn.fetchrow(f"select {COLUMNS} from letters where id = $1", letter_id)
    return _letter(row, today) if row else None


async def set_reply(
    conn: Any, *, letter_id: UUID, body: str, at: datetime, replier_id: UUID | None, replier_name: str, today: date
) -> Letter | None:
    """The letter with its reply; None when it was answered already (the first reply stands)."""
    row = await conn.fetchrow(REPLY, letter_id, body, at, replier_id, replier_name)
    return _letter(row, today) if row else None


async def set_published(conn: Any, letter_id: UUID, url: str) -> None:
    await conn.execute("update letters set published_url = $2 where id = $1", letter_id, url)


async def _page(conn: Any, sql: str, user_id: UUID, offset: int, limit: int, today: date) -> tuple[list[Letter], int]:
    rows = await conn.fetch(sql, user_id, offset, limit)
    letters = [_letter(_without_total(r), today) for r in rows if r["id"] is not None]
    return letters, int(rows[0]["total"])


def _without_total(r: asyncpg.Record) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k != "total"}


async def letters_of(conn: Any, *, user_id: UUID, offset: int, limit: int, today: date) -> tuple[list[Letter], int]:
    return await _page(conn, BY_USER, user_id, offset, limit, today)


async def replies_of(conn: Any, *, user_id: UUID, offset: int, limit: int, today: date) -> tuple[list[Letter], int]:
    return await _page(conn, REPLIES_BY_USER, user_id, offset, limit, today)

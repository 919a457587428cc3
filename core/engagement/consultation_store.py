"""The SQL of the consultation tables (consultations, consultation_comments; core.engagement owns them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from core.engagement.models import Comment, Consultation, FeedbackGroup
from core.locks import Lock

CONSULTATION = """id, site_id, title, body, attachment_url, opens_on, closes_on, created_at, report_summary,
                  report_published_at"""
COMMENT = """id, consultation_id, user_id, author, body, submitted_at, state, moderation_reason, moderated_at,
             adoption, adoption_reason, feedback_group"""
# $2: upcoming / open / closed on the Beijing date $1
LIST = f"""
    select count(*) over () as total, {CONSULTATION} from consultations
    where ($3::text is null or site_id = $3)
      and ($2::text is null or (case when $1 < opens_on then 'upcoming' when $1 <= closes_on then 'open'
                                     else 'closed' end) = $2)
    order by opens_on desc, id offset $4 limit $5"""


def _consultation(r: asyncpg.Record) -> Consultation:
    return Consultation(**{k: v for k, v in r.items() if k != "total"})


def _comment(r: asyncpg.Record) -> Comment:
    return Comment(**{k: v for k, v in r.items() if k != "total"})


# A draft's columns in the order the statements below bind them ($1 … $6)
DRAFT_FIELDS = ("site_id", "title", "body", "attachment_url", "opens_on", "closes_on")


async def same_consultation(conn: Any, values: dict[str, Any]) -> UUID | None:
    """The consultation of this site with this title, text, attachment and dates stored already, under a lock on
    the site and title held for the rest of the transaction (so two sends at once find each other)."""
    await Lock.CONSULTATION.hold(conn, f"{values['site_id']}|{values['title']}")
    found: UUID | None = await conn.fetchval(
        """select id from consultations where site_id = $1 and title = $2 and body = $3
             and attachment_url is not distinct from $4 and opens_on = $5 and closes_on = $6
           order by created_at limit 1""",
        *(values[k] for k in DRAFT_FIELDS),
    )
    return found


async def insert_consultation(conn: Any, values: dict[str, Any]) -> Consultation:
    row = await conn.fetchrow(
        f"""insert into consultations (site_id, title, body, attachment_url, opens_on, closes_on, created_by)
            values ($1, $2, $3, $4, $5, $6, $7) returning {CONSULTATION}""",
        *(values[k] for k in DRAFT_FIELDS),
        values["created_by"],
    )
    return _consultation(row)


async def get_consultation(conn: Any, consultation_id: UUID, *, lock: bool = False) -> Consultation | None:
    """The consultation; `lock` holds its row to the end of the caller's transaction, so moderation and the
    publication of its report happen one after the other."""
    sql = f"select {CONSULTATION} from consultations where id = $1" + (" for update" if lock else "")
    row = await conn.fetchrow(sql, consultation_id)
    return _consultation(row) if row else None


async def list_consultations(
    conn: Any, *, today: date, state: str | None, site_id: str | None, offset: int, limit: int
) -> tuple[list[Consultation], int]:
    rows = await conn.fetch(LIST, today, state, site_id, offset, limit)
    return [_consultation(r) for r in rows], int(rows[0]["total"]) if rows else 0


async def comments(
    conn: Any, consultation_id: UUID, *, states: list[str], offset: int, limit: int
) -> tuple[list[Comment], int]:
    rows = await conn.fetch(
        f"""select count(*) over () as total, {COMMENT} from consultation_comments
            where consultation_id = $1 and state = any($2::text[]) order by submitted_at, id offset $3 limit $4""",
        consultation_id,
        states,
        offset,
        limit,
    )
    return [_comment(r) for r in rows], int(rows[0]["total"]) if rows else 0


async def lock_user(conn: Any, user_id: UUID) -> None:
    """Serialise one person's comments (the rate limit counts them) for the rest of the transaction."""
    await Lock.CONSULTATION_COMMENT.hold(conn, str(user_id))


async def comments_since(conn: Any, user_id: UUID, since: datetime) -> list[datetime]:
    rows = await conn.fetch(
        "select submitted_at from consultation_comments where user_id = $1 and submitted_at > $2 order by 1",
        user_id,
        since,
    )
    return [r["submitted_at"] for r in rows]


async def same_comment(conn: Any, consultation_id: UUID, user_id: UUID, body: str) -> Comment | None:
    """The person's comment on this consultation with exactly this text, if they sent it already."""
    row = await conn.fetchrow(
        f"""select {COMMENT} from consultation_comments
            where consultation_id = $1 and user_id = $2 and body = $3 order by submitted_at limit 1""",
        consultation_id,
        user_id,
        body,
    )
    return _comment(row) if row else None


async def insert_comment(conn: Any, values: dict[str, Any]) -> Comment:
    row = await conn.fetchrow(
        f"""insert into consultation_comments (consultation_id, user_id, username, author, body, submitted_at)
            values ($1, $2, $3, $4, $5, $6) returning {COMMENT}""",
        values["consultation_id"],
        values["user_id"],
        values["username"],
        values["author"],
        values["body"],
        values["submitted_at"],
    )
    return _comment(row)


async def get_comment(conn: Any, comment_id: UUID) -> Comment | None:
    row = await conn.fetchrow(f"select {COMMENT} from consultation_comments where id = $1", comment_id)
    return _comment(row) if row else None


async def moderate(conn: Any, comment_id: UUID, *, state: str, reason: str | None, by: str, at: datetime) -> Comment:
    row = await conn.fetchrow(
        f"""update consultation_comments set state = $2, moderation_reason = $3, moderated_by = $4, moderated_at = $5
            where id = $1 returning {COMMENT}""",
        comment_id,
        state,
        reason,
        by,
        at,
    )
    return _comment(row)


async def count_states(conn: Any, consultation_id: UUID) -> dict[str, int]:
    rows = await conn.fetch(
        "select state, count(*) as n from consultation_comments where consultation_id = $1 group by state",
        consultation_id,
    )
    return {r["state"]: int(r["n"]) for r in rows}


async def approved_ids(conn: Any, consultation_id: UUID) -> set[UUID]:
    rows = await conn.fetch(
        "select id from consultation_comments where consultation_id = $1 and state = 'approved'", consultation_id
    )
    return {r["id"] for r in rows}


async def write_report(
    conn: Any, consultation_id: UUID, *, summary: str, groups: list[FeedbackGroup], at: datetime
) -> bool:
    """Record the decisions and the summary; False when a report was published already (the first stands)."""
    published = await conn.fetchval(
        """update consultations set report_summary = $2, report_published_at = $3
           where id = $1 and report_published_at is null returning id""",
        consultation_id,
        summary,
        at,
    )
    if published is None:
        return False
    await conn.executemany(
        """update consultation_comments set adoption = $2, adoption_reason = $3, feedback_group = $4
           where id = $1 and consultation_id = $5""",
        [
            (comment, g.adoption, g.reason, n, consultation_id)
            for n, g in enumerate(groups, start=1)
            for comment in g.comments
        ],
    )
    return True


async def decisions(conn: Any, consultation_id: UUID) -> list[FeedbackGroup]:
    rows = await conn.fetch(
        """select feedback_group, adoption, adoption_reason, array_agg(id order by submitted_at, id) as ids
           from consultation_comments where consultation_id = $1 and feedback_group is not null
           group by feedback_group, adoption, adoption_reason order by feedback_group""",
        consultation_id,
    )
    return [FeedbackGroup(comments=tuple(r["ids"]), adoption=r["adoption"], reason=r["adoption_reason"]) for r in rows]

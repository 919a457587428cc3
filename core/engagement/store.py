"""The SQL of the 电视问政 tables (tv_episodes, tv_exchanges, tv_commitments; core.engagement owns them)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from core.engagement.commitments import Proposal
from core.engagement.models import Commitment, Episode, Exchange
from core.locks import Lock

EPISODE = "id, site_id, programme, title, aired_on, video_url, transcript, created_at"
COMMITMENT = """id, episode_id, site_id, exchange_seq, department, content, quote, due_on, status, reply, evidence_url,
                confirmed_by, confirmed_at, done_at, updated_at"""
# The status a reader sees: an open commitment past its due date (a Beijing date, $1) is overdue.
SHOWN = "(case when status = 'open' and due_on < $1 then 'overdue' else status end)"
COMMITMENTS = f"""
    select count(*) over () as total, {COMMITMENT} from tv_commitments
    where ($2::text is null or {SHOWN} = $2) and ($3::text is null or department = $3)
      and ($4::text is null or site_id = $4) and ($2::text is not null or status in ('open', 'done'))
    order by due_on nulls last, id offset $5 limit $6"""
EPISODES = f"""select count(*) over () as total, {EPISODE} from tv_episodes
               where ($1::text is null or site_id = $1) order by aired_on desc, id offset $2 limit $3"""


def commitment_of(r: asyncpg.Record, today: date) -> Commitment:
    values = {k: v for k, v in r.items() if k != "total"}
    overdue = r["status"] == "open" and r["due_on"] is not None and r["due_on"] < today
    return Commitment(**values, overdue=overdue)


def _episode(r: asyncpg.Record, **more: Any) -> Episode:
    return Episode(**{k: v for k, v in r.items() if k != "total"}, **more)


async def same_episode(conn: Any, values: dict[str, Any]) -> UUID | None:
    """The episode of this site, programme, air date and title stored already, under a lock on that key held for
    the rest of the transaction (so two sends at once find each other)."""
    key = f"{values['site_id']}|{values['programme']}|{values['aired_on']}|{values['title']}"
    await Lock.TV_EPISODE.hold(conn, key)
    found: UUID | None = await conn.fetchval(
        "select id from tv_episodes where site_id = $1 and programme = $2 and aired_on = $3 and title = $4",
        values["site_id"],
        values["programme"],
        values["aired_on"],
        values["title"],
    )
    return found


async def insert_episode(
    conn: Any, *, values: dict[str, Any], exchanges: list[Exchange], proposals: list[Proposal]
) -> UUID:
    """The episode, its exchanges and the proposed commitments, in the caller's transaction."""
    episode_id: UUID = await conn.fetchval(
        """insert into tv_episodes (site_id, programme, title, aired_on, video_url, transcript, created_by)
           values ($1, $2, $3, $4, $5, $6, $7) returning id""",
        values["site_id"],
        values["programme"],
        values["title"],
        values["aired_on"],
        values["video_url"],
        values["transcript"],
        values["created_by"],
    )
    await conn.executemany(
        "insert into tv_exchanges (episode_id, seq, asker, question, speaker, answer) values ($1, $2, $3, $4, $5, $6)",
        [(episode_id, e.seq, e.asker, e.question, e.speaker, e.answer) for e in exchanges],
    )
    await conn.executemany(
        """insert into tv_commitments (episode_id, site_id, exchange_seq, department, content, quote, due_on)
           values ($1, $2, $3, $4, $5, $6, $7)""",
        [
            (episode_id, values["site_id"], p.exchange_seq, p.department, p.content, p.content, p.due_on)
            for p in proposals
        ],
    )
    return episode_id


async def get_episode(conn: Any, episode_id: UUID, today: date) -> Episode | None:
    row = await conn.fetchrow(f"select {EPISODE} from tv_episodes where id = $1", episode_id)
    return (await _with_parts(conn, [row], today))[0] if row else None


async def _with_parts(conn: Any, rows: list[asyncpg.Record], today: date) -> list[Episode]:
    """The episodes of `rows` with their exchanges and commitments: two statements for any number of episodes."""
    ids = [r["id"] for r in rows]
    exchanges: dict[UUID, list[Exchange]] = {i: [] for i in ids}
    commitments: dict[UUID, list[Commitment]] = {i: [] for i in ids}
    for r in await conn.fetch(
        """select episode_id, seq, asker, question, speaker, answer from tv_exchanges
           where episode_id = any($1::uuid[]) order by episode_id, seq""",
        ids,
    ):
        exchanges[r["episode_id"]].append(Exchange(**{k: v for k, v in r.items() if k != "episode_id"}))
    for r in await conn.fetch(
        f"select {COMMITMENT} from tv_commitments where episode_id = any($1::uuid[]) order by exchange_seq, id", ids
    ):
        commitments[r["episode_id"]].append(commitment_of(r, today))
    return [_episode(r, exchanges=exchanges[r["id"]], commitments=commitments[r["id"]]) for r in rows]


async def list_episodes(
    conn: Any, *, site_id: str | None, offset: int, limit: int, today: date
) -> tuple[list[Episode], int]:
    rows = await conn.fetch(EPISODES, site_id, offset, limit)
    total = int(rows[0]["total"]) if rows else 0
    return await _with_parts(conn, rows, today), total


async def get_commitment(conn: Any, commitment_id: UUID, today: date, *, lock: bool = False) -> Commitment | None:
    """The commitment; `lock` holds its row to the end of the caller's transaction (a change reads, then writes)."""
    sql = f"select {COMMITMENT} from tv_commitments where id = $1" + (" for update" if lock else "")
    row = await conn.fetchrow(sql, commitment_id)
    return commitment_of(row, today) if row else None


async def aired_on(conn: Any, episode_id: UUID) -> date:
    """The day the episode was aired (a commitment is made that day)."""
    aired: date = await conn.fetchval("select aired_on from tv_episodes where id = $1", episode_id)
    return aired


async def set_commitment(conn: Any, commitment_id: UUID, changes: dict[str, Any], today: date) -> Commitment:
    """Write the changed columns (names from the service's fixed set) and return the row."""
    names = list(changes)
    sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
    row = await conn.fetchrow(
        f"update tv_commitments set {sets}, updated_at = now() where id = $1 returning {COMMITMENT}",
        commitment_id,
        *changes.values(),
    )
    return commitment_of(row, today)


async def list_commitments(
    conn: Any, *, today: date, status: str | None, department: str | None, site_id: str | None, offset: int, limit: int
) -> tuple[list[Commitment], int]:
    """A page of commitments by the status readers see (confirmed ones, open and done, when no status is given)."""
    rows = await conn.fetch(COMMITMENTS, today, status, department, site_id, offset, limit)
    total = int(rows[0]["total"]) if rows else 0
    return [commitment_of(r, today) for r in rows], total

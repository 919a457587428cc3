"""电视问政: add an episode (its transcript split, commitments proposed), confirm commitments, track them to done."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from core.clock import local_date
from core.engagement import store
from core.engagement.commitments import propose
from core.engagement.models import (
    COMMITMENT_STATUSES,
    CONTENT_MAX,
    DEPARTMENT_MAX,
    PROGRAMME_MAX,
    REPLY_MAX,
    TITLE_MAX,
    TRANSCRIPT_MAX,
    Commitment,
    Episode,
)
from core.engagement.text import check_text, check_url
from core.engagement.transcript import split_tv_transcript
from core.errors import Conflict, Invalid, NotFound
from core.sites import check_site_id, get_site

FIRST_BROADCAST = date(1958, 5, 1)  # 北京电视台's first broadcast: no 电视问政 episode is older

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class EpisodeDraft:
    """What an editor enters for an episode: checked by `check`, which returns it trimmed."""

    site_id: str
    programme: str
    title: str
    aired_on: date
    transcript: str
    video_url: str | None = None

    def check(self, today: date) -> EpisodeDraft:
        if self.aired_on > today:
            raise Invalid(f"airDate {self.aired_on} is after today ({today}): add an episode once it has aired")
        if self.aired_on < FIRST_BROADCAST:
            raise Invalid(
                f"airDate {self.aired_on} is before Chinese television began ({FIRST_BROADCAST}): a year typed wrong?"
            )
        return EpisodeDraft(
            site_id=check_site_id(self.site_id, where="site"),
            programme=check_text("programme", self.programme, PROGRAMME_MAX),
            title=check_text("title", self.title, TITLE_MAX),
            aired_on=self.aired_on,
            transcript=check_text("transcript", self.transcript, TRANSCRIPT_MAX),
            video_url=check_url("videoUrl", self.video_url),
        )


async def add_episode(*, pool: asyncpg.Pool, draft: EpisodeDraft, by: str, now: datetime) -> Episode:
    """Store an episode: its transcript split into exchanges, and a proposed commitment for each sentence of an
    answer that promises or names a deadline (an editor confirms, edits or dismisses each)."""
    today = local_date(now)
    draft = draft.check(today)
    await get_site(pool, draft.site_id)  # NotFound for an unknown site
    exchanges = split_tv_transcript(draft.transcript)
    proposals = propose(exchanges, draft.aired_on)
    async with pool.acquire() as conn, conn.transaction():
        values = {**vars(draft), "created_by": by}
        if (stored := await store.same_episode(conn, values)) is not None:  # its commitments would count twice
            raise Conflict(
                f"{draft.programme} of {draft.aired_on} ({draft.title}) is stored already as episode {stored}"
            )
        episode_id = await store.insert_episode(conn, values=values, exchanges=exchanges, proposals=proposals)
        episode = await store.get_episode(conn, episode_id, today)
    assert episode is not None
    log.info("tv episode added", extra={"site": draft.site_id, "exchanges": len(exchanges), "proposed": len(proposals)})
    return episode


async def get_episode(*, pool: asyncpg.Pool, episode_id: UUID, now: datetime) -> Episode:
    async with pool.acquire() as conn:
        found = await store.get_episode(conn, episode_id, local_date(now))
    if found is None:
        raise NotFound(f"no TV episode with id {episode_id}")
    return found


async def list_episodes(
    *, pool: asyncpg.Pool, site_id: str | None, offset: int, limit: int, now: datetime
) -> tuple[list[Episode], int]:
    """A page of episodes (newest first) with their exchanges and commitments."""
    if site_id is not None:
        check_site_id(site_id, where="site")
    async with pool.acquire() as conn:
        return await store.list_episodes(conn, site_id=site_id, offset=offset, limit=limit, today=local_date(now))


async def list_commitments(
    *,
    pool: asyncpg.Pool,
    status: str | None,
    department: str | None,
    site_id: str | None,
    offset: int,
    limit: int,
    now: datetime,
) -> tuple[list[Commitment], int]:
    """Commitments by the status readers see (proposed, open, overdue, done, dismissed); confirmed ones (open,
    overdue and done) when no status is given."""
    if status is not None and status not in COMMITMENT_STATUSES:
        raise Invalid(f"status must be one of {' / '.join(COMMITMENT_STATUSES)}, not {status!r}")
    async with pool.acquire() as conn:
        return await store.list_commitments(
            conn,
            today=local_date(now),
            status=status,
            department=department.strip() if department else None,
            site_id=check_site_id(site_id, where="site") if site_id else None,
            offset=offset,
            limit=limit,
        )


async def _on_site(conn: Any, site_id: str, commitment_id: UUID, today: date) -> Commitment:
    found = await store.get_commitment(conn, commitment_id, today, lock=True)
    if found is None or found.site_id != site_id:
        raise NotFound(f"no commitment with id {commitment_id} on site {site_id}")
    return found


async def confirm_commitment(
    *,
    pool: asyncpg.Pool,
    site_id: str,
    commitment_id: UUID,
    by: str,
    now: datetime,
    edits: dict[str, Any],
    dismiss: bool = False,
) -> Commitment:
    """Confirm a proposed commitment (it is then tracked: open until done, overdue past its due date), with the
    editor's edits of department, content and dueOn; or dismiss a proposal that is no commitment."""
    today = local_date(now)
    async with pool.acquire() as conn, conn.transaction():
        found = await _on_site(conn, site_id, commitment_id, today)
        if dismiss:
            if found.status != "proposed":
                raise Conflict(f"commitment {commitment_id} is {found.status}: only a proposed one can be dismissed")
            return await store.set_commitment(conn, commitment_id, {"status": "dismissed"}, today)
        if found.status in ("done", "dismissed"):
            raise Conflict(f"commitment {commitment_id} is {found.status} already")
        changes = _confirmed(found, edits)
        aired = await store.aired_on(conn, found.episode_id)
        if changes["due_on"] < aired:
            raise Invalid(
                f"dueOn {changes['due_on']} is before the episode aired ({aired}): a commitment falls due after it "
                "is made; give the date the department promised"
            )
        changes |= {"status": "open", "confirmed_by": by, "confirmed_at": now}
        return await store.set_commitment(conn, commitment_id, changes, today)


def _confirmed(found: Commitment, edits: dict[str, Any]) -> dict[str, Any]:
    department = check_text("department", edits.get("department") or found.department, DEPARTMENT_MAX)
    content = check_text("content", edits.get("content") or found.content, CONTENT_MAX)
    due_on: date | None = edits.get("due_on") or found.due_on
    if due_on is None:
        raise Invalid("dueOn is required: the answer named no date, so give the date the commitment is due")
    return {"department": department, "content": content, "due_on": due_on}


async def update_commitment(
    *,
    pool: asyncpg.Pool,
    site_id: str,
    commitment_id: UUID,
    status: str,
    reply: str | None,
    evidence_url: str | None,
    now: datetime,
) -> Commitment:
    """Track a confirmed commitment: `done` with the department's reply (what was done; evidence optional), or
    `open` again when what was reported done was not."""
    if status not in ("open", "done"):
        raise Invalid(f"status must be open or done, not {status!r} (overdue follows from the due date)")
    text = check_text("reply", reply, REPLY_MAX) if status == "done" or (reply and reply.strip()) else None
    url = check_url("evidenceUrl", evidence_url)
    today = local_date(now)
    async with pool.acquire() as conn, conn.transaction():
        found = await _on_site(conn, site_id, commitment_id, today)
        if found.status not in ("open", "done"):
            raise Conflict(f"commitment {commitment_id} is {found.status}: confirm it before tracking it")
        changes: dict[str, Any] = {"status": status, "done_at": now if status == "done" else None}
        if text is not None:
            changes["reply"] = text
        if url is not None:
            changes["evidence_url"] = url
        if status == "open" and found.status == "done":  # reopened: "done" and its evidence no longer stand
            changes.setdefault("reply", None)
            changes.setdefault("evidence_url", None)
        return await store.set_commitment(conn, commitment_id, changes, today)

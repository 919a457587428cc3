"""TV Q&A episodes with their commitments, and public consultations with comments and the feedback report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from uuid import UUID

CommitmentStatus = Literal["proposed", "open", "done", "dismissed"]
COMMITMENT_STATUSES: tuple[str, ...] = ("proposed", "open", "done", "dismissed", "overdue")
CommentState = Literal["pending", "approved", "rejected", "hidden"]
MODERATIONS: tuple[str, ...] = ("approved", "rejected", "hidden")
ADOPTIONS: tuple[str, ...] = ("adopted", "partly", "not_adopted")
TITLE_MAX = 200
PROGRAMME_MAX = 64
DEPARTMENT_MAX = 64
CONTENT_MAX = 1000
REPLY_MAX = 5000
TRANSCRIPT_MAX = 200_000
COMMENT_MAX = 2000
REASON_MAX = 500
CONSULTATION_BODY_MAX = 100_000


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One question put on air (by the host, a citizen or a reporter) and the official's answer."""

    seq: int
    asker: str
    question: str
    speaker: str | None
    answer: str


@dataclass(frozen=True, kw_only=True)
class Commitment:
    """A commitment made on air; `overdue` when it is open past its due date (Beijing)."""

    id: UUID
    episode_id: UUID
    site_id: str
    exchange_seq: int | None
    department: str
    content: str
    quote: str
    due_on: date | None
    status: CommitmentStatus
    reply: str | None
    evidence_url: str | None
    confirmed_by: str | None
    confirmed_at: datetime | None
    done_at: datetime | None
    updated_at: datetime
    overdue: bool = False


@dataclass(frozen=True, kw_only=True)
class Episode:
    """An episode of a TV Q&A programme (电视问政) with its exchanges and commitments (when loaded)."""

    id: UUID
    site_id: str
    programme: str
    title: str
    aired_on: date
    video_url: str | None
    transcript: str
    created_at: datetime
    exchanges: list[Exchange] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Consultation:
    """A draft put out for public comment (意见征集), open from `opens_on` to `closes_on` inclusive."""

    id: UUID
    site_id: str
    title: str
    body: str
    attachment_url: str | None
    opens_on: date
    closes_on: date
    created_at: datetime
    report_summary: str | None
    report_published_at: datetime | None

    def state_on(self, today: date) -> str:
        if today < self.opens_on:
            return "upcoming"
        return "open" if today <= self.closes_on else "closed"


@dataclass(frozen=True, kw_only=True)
class Comment:
    """A comment on a consultation: public once approved; the report's adoption decision after closing."""

    id: UUID
    consultation_id: UUID
    user_id: UUID
    author: str
    body: str
    submitted_at: datetime
    state: CommentState
    moderation_reason: str | None
    moderated_at: datetime | None
    adoption: str | None
    adoption_reason: str | None
    feedback_group: int | None


@dataclass(frozen=True, kw_only=True)
class FeedbackGroup:
    """One decision of the feedback report over one or more comments (grouped by topic when alike)."""

    comments: tuple[UUID, ...]
    adoption: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class FeedbackReport:
    """The published feedback on adoption (采纳情况反馈): decisions in groups, and how many comments each way."""

    consultation_id: UUID
    summary: str
    published_at: datetime
    groups: list[FeedbackGroup]
    counts: dict[str, int]  # adopted / partly / not_adopted: comments

"""A letter as stored, and the limits of what a letter may hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

KINDS: tuple[str, ...] = ("咨询", "投诉", "建议")
SUBJECT_MAX = 100
BODY_MAX = 5000
DEPARTMENT_MAX = 64


@dataclass(frozen=True, kw_only=True)
class Letter:
    """One letter and, once answered, its reply; `late` when the reply came after `due_on` (or none yet, past it)."""

    id: UUID
    user_id: UUID
    username: str
    site_id: str
    kind: str
    department: str
    subject: str
    body: str
    consent_to_publish: bool
    submitted_at: datetime
    due_on: date
    reply_body: str | None = None
    replied_at: datetime | None = None
    replier_name: str | None = None
    published_url: str | None = None
    late: bool = False

    @property
    def replied(self) -> bool:
        return self.replied_at is not None


@dataclass(frozen=True, kw_only=True)
class LetterPage:
    """One page of a user's letters (or replies) and how many there are in all."""

    items: list[Letter]
    total: int

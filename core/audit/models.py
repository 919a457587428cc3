"""What one audit row says, and how the trail is filtered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

Actor = Literal["user", "break-glass", "anonymous", "operator"]  # operator: someone at the server's CLI
Outcome = Literal["allowed", "refused"]
OperationType = Literal["mutation", "query", "subscription", "cli"]
OUTCOMES: tuple[Outcome, ...] = ("allowed", "refused")
ACTORS: tuple[Actor, ...] = ("user", "break-glass", "anonymous", "operator")


@dataclass(frozen=True, kw_only=True)
class AuditRecord:
    """One call to write down (arguments already redacted by `core.audit.redact`)."""

    actor: Actor
    user_id: UUID | None
    username: str
    operation: str
    operation_type: OperationType
    arguments: dict[str, Any] = field(default_factory=dict)
    site_id: str | None = None
    role_needed: str
    outcome: Outcome
    reason: str = ""
    client: str
    request_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuditEntry(AuditRecord):
    """A stored row of the trail."""

    id: int
    at: datetime


@dataclass(frozen=True, kw_only=True)
class AuditFilters:
    """Every filter given narrows the trail (AND); `since` is inclusive, `until` exclusive."""

    username: str | None = None
    operation: str | None = None
    outcome: Outcome | None = None
    site_id: str | None = None
    actor: Actor | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class AuditPage:
    """A page of the trail, newest first, and how many rows match in all."""

    items: list[AuditEntry]
    total: int

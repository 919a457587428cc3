"""An application as the user space shows it: its newest state and every step reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The usual path of an application (办件) on the service platform; platforms may report others (补正, 不予受理).
STAGES: tuple[str, ...] = ("受理", "审查", "决定", "办结")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One reported step."""

    seq: int
    stage: str
    status: str
    note: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class Application:
    """The newest state the platform reported (by its own `seq`), with the steps seen so far, oldest first."""

    platform: str
    application_id: str
    username: str
    service: str
    department: str
    site_id: str | None
    stage: str
    status: str
    note: str
    seq: int
    occurred_at: datetime
    submitted_at: datetime
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ApplicationPage:
    items: list[Application]
    total: int

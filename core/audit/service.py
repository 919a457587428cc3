"""Writing and reading the audit trail; arguments are redacted before they are stored."""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from core.audit import store
from core.audit.models import ACTORS, OUTCOMES, AuditFilters, AuditPage, AuditRecord
from core.errors import Invalid

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
MAX_TEXT = 500  # characters of one string argument kept; the rest is counted, not stored
MAX_ITEMS = 50  # items of one list argument kept
MAX_DEPTH = 4
# argument names (lower case, without _ and -) that carry a secret: their values are never stored
SECRET_NAME = re.compile(r"password|passwd|secret|token|apikey|privatekey|^key$|otp$|idnumber|credential|cookie")


def is_secret(name: str) -> bool:
    return SECRET_NAME.search(name.lower().replace("_", "").replace("-", "")) is not None


def _text(value: str) -> str:
    if len(value) <= MAX_TEXT:
        return value
    return f"{value[:MAX_TEXT]}… ({len(value)} characters)"


def _plain(value: Any, depth: int) -> Any:
    """A JSON-ready copy of one argument value: secrets inside mappings redacted, long texts and lists cut."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, enum.Enum):
        return _plain(value.value, depth)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if depth >= MAX_DEPTH:
        return "…"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return redact(value, depth=depth + 1)
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return items + ([f"… ({len(value)} items)"] if len(value) > MAX_ITEMS else [])
    return _text(str(value))


def redact(arguments: Mapping[str, Any], *, depth: int = 0) -> dict[str, Any]:
    """The arguments as they may be stored: the value of every secret-named argument (password, token, secret,
    key, TOTP code, ID number, …) replaced by "[redacted]", at any depth; long strings and lists cut."""
    return {str(k): REDACTED if is_secret(str(k)) else _plain(v, depth) for k, v in arguments.items()}


async def record(*, pool: asyncpg.Pool, entry: AuditRecord) -> int:
    """Write one row of the trail; break-glass calls are also logged at WARNING (nobody's name is on them)."""
    row_id = await store.insert(pool, entry)
    if entry.actor == "break-glass":
        log.warning(
            "break-glass ADMIN_TOKEN used",
            extra={
                "operation": entry.operation,
                "outcome": entry.outcome,
                "client": entry.client,
                "audit_id": row_id,
            },
        )
    return row_id


def _check(filters: AuditFilters) -> None:
    if filters.outcome is not None and filters.outcome not in OUTCOMES:
        raise Invalid(f"outcome must be one of {', '.join(OUTCOMES)}, not {filters.outcome!r}")
    if filters.actor is not None and filters.actor not in ACTORS:
        raise Invalid(f"actor must be one of {', '.join(ACTORS)}, not {filters.actor!r}")
    for name in ("since", "until"):
        moment = getattr(filters, name)
        if moment is not None and moment.tzinfo is None:
            raise Invalid(f"{name} needs a time zone")
    if filters.since and filters.until and filters.since >= filters.until:
        raise Invalid("since must be before until")


async def list_entries(*, pool: asyncpg.Pool, filters: AuditFilters, offset: int, limit: int) -> AuditPage:
    """The trail newest first, narrowed by `filters` (BAD_INPUT for an unknown outcome or an empty range)."""
    _check(filters)
    items, total = await store.select(pool, filters, offset=offset, limit=limit)
    return AuditPage(items=items, total=total)

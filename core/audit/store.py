"""Postgres rows of the audit trail: the only module that names `audit_trail` in SQL."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from core.audit.models import AuditEntry, AuditFilters, AuditRecord

INSERT = """
insert into audit_trail (actor, user_id, username, operation, operation_type, arguments, site_id, role_needed,
                         outcome, reason, client, request_id)
values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12)
returning id"""

COLUMNS = """id, at, actor, user_id, username, operation, operation_type, arguments::text as arguments, site_id,
role_needed, outcome, reason, client, request_id"""

# filter field -> the condition it adds, with {} for its parameter's number
CONDITIONS = {
    "username": "username = ${}",
    "operation": "operation = ${}",
    "outcome": "outcome = ${}",
    "site_id": "site_id = ${}",
    "actor": "actor = ${}",
    "since": "at >= ${}",
    "until": "at < ${}",
}


async def insert(pool: asyncpg.Pool, entry: AuditRecord) -> int:
    """Write one row; returns its id."""
    arguments = json.dumps(entry.arguments, ensure_ascii=False, sort_keys=True)
    found = await pool.fetchval(
        INSERT,
        entry.actor,
        entry.user_id,
        entry.username,
        entry.operation,
        entry.operation_type,
        arguments,
        entry.site_id,
        entry.role_needed,
        entry.outcome,
        entry.reason,
        entry.client,
        entry.request_id,
    )
    return int(found)


def _where(filters: AuditFilters) -> tuple[str, list[Any]]:
    parts: list[str] = []
    values: list[Any] = []
    for name, condition in CONDITIONS.items():
        value = getattr(filters, name)
        if value is not None:
            values.append(value)
            parts.append(condition.format(len(values)))
    return (" where " + " and ".join(parts)) if parts else "", values


def _entry(row: asyncpg.Record) -> AuditEntry:
    fields = dict(row)
    fields["arguments"] = json.loads(fields["arguments"])
    return AuditEntry(**fields)


async def select(pool: asyncpg.Pool, filters: AuditFilters, *, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
    """A page of matching rows, newest first, and how many match."""
    where, values = _where(filters)
    n = len(values)
    async with pool.acquire() as conn:
        total = await conn.fetchval(f"select count(*) from audit_trail{where}", *values)
        rows = await conn.fetch(
            f"select {COLUMNS} from audit_trail{where} order by at desc, id desc offset ${n + 1} limit ${n + 2}",
            *values,
            offset,
            limit,
        )
    return [_entry(r) for r in rows], int(total)

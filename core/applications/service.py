"""Storing reported progress idempotently and listing a user's applications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from core.applications import store
from core.applications.connector import check_update
from core.applications.models import Application, ApplicationPage
from core.bus import ApplicationUpdated
from core.clock import aware


async def apply_updates(conn: asyncpg.Connection, updates: Sequence[ApplicationUpdated]) -> list[ApplicationUpdated]:
    """Store a batch in the caller's transaction; returns the updates that became their application's newest
    state. A repeated update, or one older than what is stored (by seq, then time), changes nothing but the
    steps it adds once."""
    newest: list[ApplicationUpdated] = []
    for update in sorted(updates, key=lambda u: (u.seq, u.occurred_at)):
        u = check_update(update)
        values = {
            "platform": u.platform,
            "application_id": u.application_id,
            "username": u.username,
            "service": u.service,
            "department": u.department,
            "site_id": u.site_id,
            "stage": u.stage,
            "status": u.status,
            "note": u.note,
            "seq": u.seq,
            "occurred_at": aware(datetime.fromisoformat(u.occurred_at)),
        }
        if await store.store_update(conn, values):
            newest.append(u)
    return newest


async def get_application(*, pool: asyncpg.Pool, platform: str, application_id: str) -> Application | None:
    """The application with its steps, read in one snapshot: the row and the steps are two statements, and a step
    committed between them would show one step's state beside the next one's steps."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await store.get_application(conn, platform, application_id)


async def list_applications(*, pool: asyncpg.Pool, username: str, offset: int, limit: int) -> ApplicationPage:
    """The user's applications, the most recently moved first, each with its steps."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        items, total = await store.applications_of(conn, username=username, offset=offset, limit=limit)
    return ApplicationPage(items=items, total=total)

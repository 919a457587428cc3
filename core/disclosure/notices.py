"""Residents' notifications: subscriptions to a unit or one of its boards, fan-out of published and revised
items to their subscribers (once per user and revision), delivery through a `Notifier`, and the outbox that makes
an announcement survive a crash between commit and publish."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

import asyncpg

from core.bus import Bus, DisclosurePublished
from core.disclosure import notice_store as ns
from core.disclosure import store
from core.disclosure.boards import BOARDS
from core.disclosure.hierarchy import ancestors, check_code
from core.disclosure.models import Item, Notice, Page, Subscription
from core.disclosure.publication import announce
from core.errors import Invalid, NotFound

log = logging.getLogger(__name__)
SUBSCRIPTIONS_MAX = 200  # a resident's subscriptions, at most
OUTBOX_AGE = timedelta(seconds=30)  # an outbox row older than this was not announced by its writer: send it again
NOTIFIED = ("published", "revised")


class Notifier(Protocol):
    """A channel to residents (SMS, WeChat template messages, an app push …): `deliver` hands over notifications
    and returns normally once the channel has taken them all; raising leaves them pending, retried later."""

    name: str

    async def deliver(self, notices: Sequence[Notice]) -> None: ...


class InboxNotifier:
    """The demo channel: the notification row in Postgres is the inbox (`me { disclosureNotifications }`)."""

    name = "inbox"

    async def deliver(self, notices: Sequence[Notice]) -> None:
        return None


def check_board(board: str | None) -> str:
    if not board:
        return ""
    if board not in BOARDS:
        raise Invalid(f"unknown board {board!r}; the boards are {', '.join(BOARDS)}")
    return board


async def subscribe(*, pool: asyncpg.Pool, user_id: UUID, unit: str, board: str | None = None) -> Subscription:
    """Subscribe a resident to a unit (and everything below it), to all boards or to one; again changes nothing."""
    code, board = check_code(unit), check_board(board)
    async with pool.acquire() as conn, conn.transaction():
        if await store.get_unit(conn, code) is None:
            raise NotFound(f"no unit with code {code}")
        if len(await ns.subscriptions(conn, user_id, SUBSCRIPTIONS_MAX + 1)) >= SUBSCRIPTIONS_MAX:
            raise Invalid(f"a resident may hold at most {SUBSCRIPTIONS_MAX} subscriptions; end one first")
        await ns.subscribe(conn, user_id, code, board)
        found = await ns.subscriptions(conn, user_id, SUBSCRIPTIONS_MAX + 1)
    return next(s for s in found if s.unit_code == code and s.board == board)


async def unsubscribe(*, pool: asyncpg.Pool, user_id: UUID, unit: str, board: str | None = None) -> bool:
    return await ns.unsubscribe(pool, user_id, check_code(unit), check_board(board))


async def subscriptions(*, pool: asyncpg.Pool, user_id: UUID) -> list[Subscription]:
    return await ns.subscriptions(pool, user_id, SUBSCRIPTIONS_MAX)


async def notices(*, pool: asyncpg.Pool, user_id: UUID, offset: int, limit: int) -> Page[Notice]:
    """A resident's notifications, newest first, and how many: the count and the page are read in one snapshot, as
    the fan-out keeps adding to them (a notification made between the two would be listed but not counted)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        found, total = await ns.notices_of(conn, user_id, offset, limit)
    return Page(items=found, total=total)


async def fan_out(
    *, pool: asyncpg.Pool, notifier: Notifier, events: Sequence[DisclosurePublished], now: datetime
) -> int:
    """Notifications for the subscribers of each published or revised item, then their delivery. Idempotent: a
    redelivered event finds its notifications made and notifies nobody again. Returns how many were made."""
    made: list[int] = []
    for e in events:
        if e.change not in NOTIFIED:
            continue
        item = await store.get_item(pool, UUID(e.item_id))
        if item is None or not item.counted:
            continue  # withdrawn since: nobody is sent to a page that is gone
        at_revision = dataclasses.replace(item, revision=e.revision)
        made += await ns.fan_out(pool, at_revision, ancestors(item.unit_code), e.change, now)
    if made:
        await deliver_pending(pool=pool, notifier=notifier, now=now, ids=made)
    return len(made)


async def deliver_pending(
    *, pool: asyncpg.Pool, notifier: Notifier, now: datetime, ids: Sequence[int] | None = None, limit: int = 500
) -> int:
    """Hand pending notifications (`ids`, else the oldest) to the notifier; each is locked while it is handed
    over, so two workers never deliver one twice. A failure keeps them pending with the error."""
    async with pool.acquire() as conn, conn.transaction():
        batch = await ns.pending(conn, ids, limit)
        if not batch:
            return 0
        keys = [n.id for n in batch]
        try:
            await notifier.deliver(batch)
        except Exception as exc:  # a channel's failure is retried later; the notifications stay pending
            log.warning("disclosure notifications not delivered", extra={"error": repr(exc), "count": len(keys)})
            await ns.settle(conn, keys, channel=notifier.name, at=None, error=repr(exc)[:500])
            return 0
        await ns.settle(conn, keys, channel=notifier.name, at=now, error=None)
    return len(batch)


async def record(conn: asyncpg.Connection, changes: Sequence[tuple[Item, str]], now: datetime) -> None:
    """In the change's transaction: the announcements owed once it commits (`announce` clears them)."""
    await ns.record_outbox(conn, changes, now)


async def resend_outbox(
    *, pool: asyncpg.Pool, bus: Bus, now: datetime, base_url: str | None = None, limit: int = 1000
) -> int:
    """Announce what a crashed writer owed (outbox rows older than OUTBOX_AGE); a row announced twice is a
    duplicate for JetStream (same key) and for the fan-out (same user and revision)."""
    owed = await ns.stale_outbox(pool, now - OUTBOX_AGE, limit)
    changes: list[tuple[Item, str]] = []
    for item_id, revision, change in owed:
        item = await store.get_item(pool, item_id)
        if item is not None:
            changes.append((dataclasses.replace(item, revision=revision), change))
    if changes:
        await announce(pool=pool, bus=bus, changes=changes, now=now, base_url=base_url)
    return len(changes)

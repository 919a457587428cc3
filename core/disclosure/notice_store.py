"""SQL of residents' subscriptions, the announcement outbox and the notifications (migration 0029)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from core.disclosure.models import Item, Notice, Subscription
from core.disclosure.store import Conn

NOTICE_COLUMNS = """id, user_id, item_id, revision, change, unit_code, board, category, title, created_at,
                    delivered_at, channel, attempts"""


async def subscribe(conn: Conn, user_id: UUID, unit_code: str, board: str) -> None:
    await conn.execute(
        """insert into disclosure_subscriptions (user_id, unit_code, board) values ($1, $2, $3)
           on conflict do nothing""",
        user_id,
        unit_code,
        board,
    )


async def unsubscribe(conn: Conn, user_id: UUID, unit_code: str, board: str) -> bool:
    done = await conn.execute(
        "delete from disclosure_subscriptions where user_id = $1 and unit_code = $2 and board = $3",
        user_id,
        unit_code,
        board,
    )
    return done != "DELETE 0"


async def subscriptions(conn: Conn, user_id: UUID, limit: int) -> list[Subscription]:
    rows = await conn.fetch(
        """select s.unit_code, u.name as unit_name, s.board, s.created_at
           from disclosure_subscriptions s join disclosure_units u on u.code = s.unit_code
           where s.user_id = $1 order by s.unit_code, s.board limit $2""",
        user_id,
        limit,
    )
    return [Subscription(**dict(r)) for r in rows]


async def record_outbox(conn: asyncpg.Connection, changes: Sequence[tuple[Item, str]], at: datetime) -> None:
    """In the change's transaction: what is still to announce once it commits."""
    if not changes:
        return
    await conn.execute(
        """insert into disclosure_outbox (item_id, revision, change, unit_code, category, created_at)
           select *, $6::timestamptz from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[])
           on conflict do nothing""",
        [i.id for i, _ in changes],
        [i.revision for i, _ in changes],
        [c for _, c in changes],
        [i.unit_code for i, _ in changes],
        [i.category for i, _ in changes],
        at,
    )


async def clear_outbox(conn: Conn, changes: Sequence[tuple[Item, str]]) -> None:
    if changes:
        await conn.execute(
            """delete from disclosure_outbox o using unnest($1::uuid[], $2::int[], $3::text[]) as d(i, r, c)
               where o.item_id = d.i and o.revision = d.r and o.change = d.c""",
            [i.id for i, _ in changes],
            [i.revision for i, _ in changes],
            [c for _, c in changes],
        )


async def stale_outbox(conn: Conn, before: datetime, limit: int) -> list[tuple[UUID, int, str]]:
    rows = await conn.fetch(
        """select item_id, revision, change from disclosure_outbox where created_at < $1
           order by created_at limit $2""",
        before,
        limit,
    )
    return [(r["item_id"], r["revision"], r["change"]) for r in rows]


async def fan_out(conn: Conn, item: Item, chain: Sequence[str], change: str, at: datetime) -> list[int]:
    """A notification for every subscriber of the item's chain (all boards, or its board); a revision already
    notified to a user is skipped, so a redelivered event notifies nobody twice. Returns the new ids."""
    rows = await conn.fetch(
        """insert into disclosure_notifications (user_id, item_id, revision, change, unit_code, board, category,
                                                 title, created_at)
           select distinct user_id, $3::uuid, $4::int, $5::text, $6::text, $7::text, $8::text, $9::text,
                  $10::timestamptz from disclosure_subscriptions
           where unit_code = any($1::text[]) and board in ('', $2)
           on conflict (user_id, item_id, revision) do nothing returning id""",
        list(chain),
        item.board,
        item.id,
        item.revision,
        change,
        item.unit_code,
        item.board,
        item.category,
        item.title,
        at,
    )
    return [r["id"] for r in rows]


async def pending(conn: Conn, ids: Sequence[int] | None, limit: int) -> list[Notice]:
    """Notifications not yet delivered (of `ids`, or the oldest), locked for the caller's transaction."""
    rows = await conn.fetch(
        f"""select {NOTICE_COLUMNS} from disclosure_notifications
            where delivered_at is null and ($1::bigint[] is null or id = any($1::bigint[]))
            order by id limit $2 for update skip locked""",
        list(ids) if ids is not None else None,
        limit,
    )
    return [Notice(**dict(r)) for r in rows]


async def settle(conn: Conn, ids: Sequence[int], *, channel: str, at: datetime | None, error: str | None) -> None:
    await conn.execute(
        """update disclosure_notifications set attempts = attempts + 1, delivered_at = $2, channel = $3,
               last_error = $4 where id = any($1::bigint[])""",
        list(ids),
        at,
        channel,
        error,
    )


async def notices_of(conn: Conn, user_id: UUID, offset: int, limit: int) -> tuple[list[Notice], int]:
    total = await conn.fetchval("select count(*) from disclosure_notifications where user_id = $1", user_id)
    rows = await conn.fetch(
        f"""select {NOTICE_COLUMNS} from disclosure_notifications where user_id = $1
            order by created_at desc, revision desc, id desc offset $2 limit $3""",
        user_id,
        offset,
        limit,
    )
    return [Notice(**dict(r)) for r in rows], int(total)

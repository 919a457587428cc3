"""SQL on the back-channel logout outbox (identity_logout_outbox, migration 0020)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from core.identity.session_store import Conn

COLUMNS = "id, session_id, user_id, client_id, uri, attempts"


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One logout token owed to one site."""

    id: int
    session_id: UUID
    user_id: UUID
    client_id: str
    uri: str
    attempts: int  # made before this one


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(**dict(row))


async def enqueue(conn: Conn, *, session_id: UUID, now: datetime, lease_until: datetime) -> list[Delivery]:
    """A delivery for every client that got tokens in the session and registered a back-channel logout URI,
    leased to the caller (who sends them at once) until `lease_until`."""
    rows = await conn.fetch(
        f"""insert into identity_logout_outbox (session_id, user_id, client_id, uri, next_attempt_at, created_at)
            select s.id, s.user_id, c.client_id, c.backchannel_logout_uri, $3, $2
            from identity_sessions s
            join identity_session_clients sc on sc.session_id = s.id
            join identity_clients c on c.client_id = sc.client_id
            where s.id = $1 and c.backchannel_logout_uri is not null
            order by c.client_id
            returning {COLUMNS}""",
        session_id,
        now,
        lease_until,
    )
    return [_delivery(r) for r in rows]


async def claim_due(conn: Conn, *, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
    """Deliveries whose next attempt is due, leased until `lease_until` (another sweeper skips them)."""
    rows = await conn.fetch(
        f"""update identity_logout_outbox set next_attempt_at = $2
            where id in (select id from identity_logout_outbox
                         where delivered_at is null and gave_up_at is null and next_attempt_at <= $1
                         order by next_attempt_at limit $3 for update skip locked)
            returning {COLUMNS}""",
        now,
        lease_until,
        limit,
    )
    return [_delivery(r) for r in rows]


async def settle(
    conn: Conn,
    delivery_id: int,
    *,
    delivered_at: datetime | None,
    next_attempt_at: datetime,
    gave_up_at: datetime | None,
    error: str | None,
) -> None:
    """Record one attempt: delivered, due again at `next_attempt_at`, or given up."""
    await conn.execute(
        """update identity_logout_outbox set attempts = attempts + 1, delivered_at = $2, next_attempt_at = $3,
               gave_up_at = $4, last_error = $5
           where id = $1""",
        delivery_id,
        delivered_at,
        next_attempt_at,
        gave_up_at,
        error,
    )


async def prune_settled(conn: Conn, before: datetime) -> int:
    """Forget deliveries delivered or given up before `before`."""
    done = await conn.execute(
        """delete from identity_logout_outbox
           where (delivered_at is not null or gave_up_at is not null) and coalesce(delivered_at, gave_up_at) < $1""",
        before,
    )
    return int(done.split()[-1])

"""Re-projection requests: documents whose projections must be redone though their own rows did not change."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import asyncpg

from core.bus import Bus
from core.documents.reads import CHANGE_COLUMNS, change_of

DRAIN_LIMIT = 1000
WAITING = f"""
    select r.token, {CHANGE_COLUMNS}
    from document_reprojections r join documents d on d.id = r.document_id
    order by r.queued_at limit $1"""


async def queue_reprojections(conn: asyncpg.Connection, document_ids: Iterable[str]) -> None:
    """Ask, in the caller's transaction, for these documents to be announced again once it commits.

    A document already waiting gets a new token, so a request made after a drain read it is not lost.
    """
    ids = sorted(set(document_ids))
    if ids:
        await conn.executemany(
            """insert into document_reprojections (document_id, token) values ($1::uuid, $2)
               on conflict (document_id) do update set token = excluded.token, queued_at = now()""",
            [(i, secrets.token_hex(8)) for i in ids],
        )


async def drain_reprojections(pool: asyncpg.Pool, bus: Bus, limit: int = DRAIN_LIMIT) -> int:
    """Publish a DocumentChanged for each waiting document, then forget the request; returns how many.

    Publishing before deleting means a crash in between publishes again with the same key (the token),
    which JetStream drops; every consumer reads the current row, so a late repeat changes nothing.
    """
    rows = await pool.fetch(WAITING, limit)
    for r in rows:
        await bus.publish(change_of(r, reproject=r["token"]))
    if rows:
        await pool.executemany(
            "delete from document_reprojections where document_id = $1::uuid and token = $2",
            [(r["id"], r["token"]) for r in rows],
        )
    return len(rows)

"""Re-projection requests: documents whose projections must be redone though their own rows did not change."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import asyncpg

from core.bus import Bus, DocumentChanged

DRAIN_LIMIT = 1000


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
    rows = await pool.fetch(
        """select r.document_id::text as id, r.token, d.url, d.site_id, d.version, d.content_hash, d.title, d.kind,
                  d.gone, d.last_changed
           from document_reprojections r join documents d on d.id = r.document_id
           order by r.queued_at limit $1""",
        limit,
    )  # fmt: skip
    for r in rows:
        await bus.publish(
            DocumentChanged(document_id=r["id"], url=r["url"], site_id=r["site_id"],
                            change="gone" if r["gone"] else "updated", version=r["version"],
                            content_hash=r["content_hash"], title=r["title"], kind=r["kind"],
                            changed_at=r["last_changed"].isoformat(), reproject=r["token"])
        )  # fmt: skip
    if rows:
        await pool.executemany(
            "delete from document_reprojections where document_id = $1::uuid and token = $2",
            [(r["id"], r["token"]) for r in rows],
        )
    return len(rows)

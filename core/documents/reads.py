"""What other packages ask of the document store beyond whole documents: hashes, changes, existence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from core.bus.events import DocumentChanged

# What a DocumentChanged announcing a document's current state needs (see `change_of`).
CHANGE_COLUMNS = (
    "d.id::text as id, d.url, d.site_id, d.version, d.content_hash, d.title, d.kind, d.gone, d.last_changed"
)


async def stored_hashes(db: asyncpg.Pool | asyncpg.Connection, urls: Sequence[str]) -> dict[str, str]:
    """The content hash of each of these URLs that is stored and not gone."""
    rows = await db.fetch(
        "select url, content_hash from documents where url = any($1::text[]) and not gone", list(urls)
    )
    return {r["url"]: r["content_hash"] for r in rows}


async def document_exists(pool: asyncpg.Pool, document_id: str) -> bool:
    """Whether a document of this id is stored (gone or not)."""
    return bool(await pool.fetchval("select 1 from documents where id = $1::uuid", document_id))


async def changed_since(pool: asyncpg.Pool, since: datetime) -> list[str]:
    """Ids of the documents whose row changed at or after `since` (gone ones included)."""
    rows = await pool.fetch("select id::text as id from documents where last_changed >= $1", since)
    return [r["id"] for r in rows]


def change_of(row: asyncpg.Record, *, reproject: str = "") -> DocumentChanged:
    """A row of CHANGE_COLUMNS as the DocumentChanged that announces its current state again."""
    return DocumentChanged(
        document_id=row["id"],
        url=row["url"],
        site_id=row["site_id"],
        change="gone" if row["gone"] else "updated",
        version=row["version"],
        content_hash=row["content_hash"],
        title=row["title"],
        kind=row["kind"],
        changed_at=row["last_changed"].isoformat(),
        reproject=reproject,
    )


async def current_changes(pool: asyncpg.Pool, ids: Sequence[str]) -> list[DocumentChanged]:
    """Each stored document of `ids` as a DocumentChanged of its current version."""
    rows = await pool.fetch(f"select {CHANGE_COLUMNS} from documents d where d.id = any($1::uuid[])", list(ids))
    return [change_of(r) for r in rows]

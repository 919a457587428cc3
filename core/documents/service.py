"""Document store: apply fetched pages idempotently and read documents back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from core.bus.events import DocumentChanged, PageFetched
from core.errors import NotFound
from core.sites import ensure_column

MAX_LINKS = 1000


@dataclass(frozen=True, kw_only=True)
class Document:
    """A stored document."""

    id: str
    url: str
    site_id: str
    kind: str
    title: str
    text: str
    published_at: date | None
    column: str | None
    doc_no: str | None
    doc_no_norm: str | None
    issuer: str | None
    metadata: dict[str, Any]
    attachments: list[dict[str, Any]]
    content_hash: str
    version: int
    first_seen: datetime
    last_changed: datetime
    gone: bool


DOC_SELECT = """
    select d.id::text as id, d.url, d.site_id, d.kind, d.title, d.text, d.published_at, c.name as column_name,
           d.doc_no, d.doc_no_norm, d.issuer, d.metadata, d.attachments, d.content_hash, d.version,
           d.first_seen, d.last_changed, d.gone
    from documents d left join site_column_list c on c.id = d.column_id
"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _row(r: asyncpg.Record) -> Document:
    return Document(
        id=r["id"],
        url=r["url"],
        site_id=r["site_id"],
        kind=r["kind"],
        title=r["title"],
        text=r["text"],
        published_at=r["published_at"],
        column=r["column_name"],
        doc_no=r["doc_no"],
        doc_no_norm=r["doc_no_norm"],
        issuer=r["issuer"],
        metadata=_json(r["metadata"]),
        attachments=_json(r["attachments"]),
        content_hash=r["content_hash"],
        version=r["version"],
        first_seen=r["first_seen"],
        last_changed=r["last_changed"],
        gone=r["gone"],
    )


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _ts(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _apply_gone(conn: asyncpg.Connection, ev: PageFetched) -> DocumentChanged | None:
    row = await conn.fetchrow(
        """update documents set gone = true, gone_at = now(), version = version + 1, last_changed = now(),
                  fetched_at = $2, last_event = $3
           where url = $1 and not gone and fetched_at <= $2
           returning id::text, version, content_hash, title, kind""",
        ev.url,
        _ts(ev.fetched_at),
        ev.key,
    )
    if row is None:
        row = await conn.fetchrow(
            "select id::text, version, content_hash, title, kind from documents where url = $1 and last_event = $2",
            ev.url,
            ev.key,
        )
        if row is None:
            return None
    return DocumentChanged(
        document_id=row["id"],
        url=ev.url,
        site_id=ev.site_id,
        change="gone",
        version=row["version"],
        content_hash=row["content_hash"],
        title=row["title"],
        kind=row["kind"],
        changed_at=datetime.now(UTC).isoformat(),
    )


UPSERT = """
    insert into documents (url, site_id, column_id, kind, title, text, published_at, doc_no, doc_no_norm,
                           issuer, metadata, attachments, content_hash, fetched_at, last_event, source)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14, $15, $16)
    on conflict (url) do update set
        site_id = excluded.site_id, column_id = excluded.column_id, kind = excluded.kind,
        title = excluded.title, text = excluded.text, published_at = excluded.published_at,
        doc_no = excluded.doc_no, doc_no_norm = excluded.doc_no_norm, issuer = excluded.issuer,
        metadata = excluded.metadata, attachments = excluded.attachments,
        content_hash = excluded.content_hash, fetched_at = excluded.fetched_at,
        last_event = excluded.last_event, source = excluded.source, version = documents.version + 1,
        last_seen = now(), last_changed = now(), gone = false, gone_at = null
    where (documents.content_hash <> excluded.content_hash or documents.gone)
      and documents.fetched_at <= excluded.fetched_at
    returning id::text, version, (xmax = 0) as inserted"""


def _upsert_args(ev: PageFetched, column_id: int | None) -> tuple[Any, ...]:
    meta = ev.meta or {}
    return (
        ev.url,
        ev.site_id,
        column_id,
        ev.kind,
        ev.title,
        ev.text,
        _date(ev.published_at),
        meta.get("doc_no"),
        meta.get("doc_no_normalized"),
        meta.get("issuer"),
        json.dumps(meta, ensure_ascii=False),
        json.dumps(ev.attachments, ensure_ascii=False),
        ev.content_hash,
        _ts(ev.fetched_at),
        ev.key,
        ev.source,
    )


async def _apply_page(
    conn: asyncpg.Connection, ev: PageFetched, columns: dict[tuple[str, str | None], int | None]
) -> DocumentChanged | None:
    if (ev.site_id, ev.column) not in columns:  # a batch of one register names the same few columns
        columns[ev.site_id, ev.column] = await ensure_column(conn, ev.site_id, ev.column)
    row = await conn.fetchrow(UPSERT, *_upsert_args(ev, columns[ev.site_id, ev.column]))
    if row is None:
        # Unchanged, older than what we have, or a redelivery of the event that made this version.
        again = await conn.fetchrow(
            """update documents set last_seen = now() where url = $1
               returning id::text, version, last_event = $2 as redelivered""",
            ev.url,
            ev.key,
        )
        if again is None or not again["redelivered"]:
            return None
        row, change = again, ("created" if again["version"] == 1 else "updated")
    else:
        change = "created" if row["inserted"] else "updated"
    if ev.links or not row.get("inserted"):  # a row just inserted has no links to replace
        await _replace_links(conn, row["id"], ev.links)
    return DocumentChanged(
        document_id=row["id"],
        url=ev.url,
        site_id=ev.site_id,
        change=change,
        version=row["version"],
        content_hash=ev.content_hash,
        title=ev.title,
        kind=ev.kind,
        changed_at=datetime.now(UTC).isoformat(),
    )


async def _replace_links(conn: asyncpg.Connection, doc_id: str, links: Sequence[dict[str, str]]) -> None:
    await conn.execute("delete from links where from_doc = $1::uuid", doc_id)
    seen: dict[str, tuple[str, str]] = {}
    for link in links[:MAX_LINKS]:
        url = link.get("url")
        if url and url not in seen:
            seen[url] = (link.get("text", "")[:200], link.get("kind", "link"))
    if seen:
        await conn.executemany(
            "insert into links (from_doc, to_url, anchor, kind) values ($1::uuid, $2, $3, $4)",
            [(doc_id, url, anchor, kind) for url, (anchor, kind) in seen.items()],
        )


async def apply_pages(conn: asyncpg.Connection, events: Sequence[PageFetched]) -> list[DocumentChanged]:
    """Apply fetched pages in the caller's transaction; return the changes to publish after commit."""
    changes = []
    columns: dict[tuple[str, str | None], int | None] = {}
    for ev in events:
        change = await (_apply_gone(conn, ev) if ev.gone else _apply_page(conn, ev, columns))
        if change is not None:
            changes.append(change)
    return changes


async def get_document(pool: asyncpg.Pool, *, url: str | None = None, id: str | None = None) -> Document:
    if url is not None:
        row = await pool.fetchrow(DOC_SELECT + " where d.url = $1", url)
    else:
        row = await pool.fetchrow(DOC_SELECT + " where d.id = $1::uuid", id)
    if row is None:
        raise NotFound(f"no document with {'url' if url else 'id'} {url or id!r}")
    return _row(row)


async def get_documents(pool: asyncpg.Pool, ids: Sequence[str]) -> dict[str, Document]:
    rows = await pool.fetch(DOC_SELECT + " where d.id = any($1::uuid[])", list(ids))
    return {r["id"]: _row(r) for r in rows}


async def list_documents(
    pool: asyncpg.Pool, *, site_id: str | None = None, kind: str | None = None, offset: int = 0, limit: int = 20
) -> tuple[list[Document], int]:
    where = ["not d.gone"]
    args: list[Any] = []
    for column, value in (("d.site_id", site_id), ("d.kind", kind)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    clause = " where " + " and ".join(where)
    # the count and the page in one snapshot: a page the indexer stores between them is in both or in neither
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval("select count(*) from documents d" + clause, *args)
        rows = await conn.fetch(
            DOC_SELECT + clause + f" order by d.published_at desc nulls last, d.url offset ${len(args) + 1}"
            f" limit ${len(args) + 2}",
            *args,
            offset,
            limit,
        )
    return [_row(r) for r in rows], int(total)

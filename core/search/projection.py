"""The search projection: what the index holds for a document, built from its current Postgres row."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from core.search.models import Copy, IndexDoc
from core.textzh.docno import parse_doc_no

# Home pages and column (栏目) pages are lists of links to other documents: indexing them would put a
# list page above the article a citizen wants for every word of every headline it lists.
NOT_INDEXED_KINDS: tuple[str, ...] = ("homepage", "column")

MAX_COPIES = 50  # a hit lists at most this many reprints (the earliest)
_KINDS_SQL = ", ".join(f"'{k}'" for k in NOT_INDEXED_KINDS)
# A reprint (`canonical_id` names another document) is shown under its canonical's hit, not on its own,
# as long as that canonical is itself indexed; `copies` are the indexed reprints a canonical lists.
_COPY_OF_INDEXED = """exists (select 1 from live_documents cd where cd.id = d.canonical_id and cd.id <> d.id
                                        and cd.kind <> all({kinds}))"""
PROJECTION_SELECT = f"""
    select d.id::text as id, d.url, d.site_id, d.kind, d.title, d.text, d.published_at, d.doc_no, d.doc_no_norm,
           d.issuer, d.metadata, c.name as column_name, s.level, s.region, s.department,
           {_COPY_OF_INDEXED.format(kinds=f"array[{_KINDS_SQL}]")} as is_copy,
           coalesce((select json_agg(json_build_object('url', r.url, 'site', r.site_id) order by r.first_seen, r.url)
                     from (select r.url, r.site_id, r.first_seen from live_documents r
                           where r.canonical_id = d.id and r.id <> d.id
                           order by r.first_seen, r.url limit {MAX_COPIES}) r), '[]') as copies
    from live_documents d join site_list s on s.id = d.site_id left join site_column_list c on c.id = d.column_id
"""
# Rows the index should hold, for a rebuild; `index_docs` applies the same rule to single rows.
INDEXED_WHERE = f" where d.kind <> all($1::text[]) and not {_COPY_OF_INDEXED.format(kinds='$1::text[]')}"
_SPLIT = re.compile(r"\s*[、,，;；/|]\s*")


def is_indexed(kind: str, *, is_copy: bool = False) -> bool:
    """Whether a live document belongs in the search index (not a list page, not a reprint)."""
    return kind not in NOT_INDEXED_KINDS and not is_copy


def _values(value: Any) -> list[str]:
    """A metadata value as a list of strings: 个人/法人 and 个人、法人 split, lists kept."""
    if isinstance(value, str):
        return [v for v in _SPLIT.split(value.strip()) if v]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def to_index_doc(row: asyncpg.Record | dict[str, Any]) -> IndexDoc:
    """One row of PROJECTION_SELECT as an IndexDoc; per-document metadata wins over the site's own facts."""
    meta = row["metadata"]
    meta = json.loads(meta) if isinstance(meta, str) else dict(meta or {})
    doc_no = row["doc_no"] or _text(meta.get("doc_no"))
    normalized = row["doc_no_norm"] or _text(meta.get("doc_no_normalized"))
    if doc_no and not normalized:
        parsed = parse_doc_no(doc_no)
        normalized = parsed.normalized if parsed else ""
    return IndexDoc(
        id=row["id"],
        url=row["url"],
        title=row["title"] or "",
        text=row["text"] or "",
        site=row["site_id"],
        kind=row["kind"],
        published_at=row["published_at"],
        doc_no=doc_no or "",
        doc_no_normalized=normalized or "",
        issuer=row["issuer"] or _text(meta.get("issuer")),
        department=_text(meta.get("department")) or row["department"] or "",
        region=_text(meta.get("region")) or row["region"] or "",
        level=_text(meta.get("level")) or row["level"] or "",
        theme=_values(meta.get("theme")),
        audience=_values(meta.get("audience")),
        format=[v.upper() for v in _values(meta.get("formats"))],
        column=row["column_name"] or "",
        validity=_text(meta.get("validity")),
        copies=_copies(row["copies"]),
    )


def _copies(value: Any) -> list[Copy]:
    items = json.loads(value) if isinstance(value, str) else value or []
    return [Copy(url=str(c["url"]), site=str(c["site"])) for c in items]


def _uuids(ids: Sequence[str]) -> list[str]:
    out = []
    for value in dict.fromkeys(ids):
        try:
            out.append(str(uuid.UUID(value)))
        except (ValueError, TypeError, AttributeError):
            continue  # never a document id, so never in the index
    return out


async def index_docs(pool: asyncpg.Pool, ids: Sequence[str]) -> tuple[list[IndexDoc], list[str]]:
    """The documents to upsert and the ids to delete so the index matches Postgres for `ids` (one query);
    gone documents are not among the rows, so they are deleted."""
    wanted = _uuids(ids)
    if not wanted:
        return [], []
    rows = await pool.fetch(PROJECTION_SELECT + " where d.id = any($1::uuid[])", wanted)
    by_id = {r["id"]: r for r in rows}
    upserts: list[IndexDoc] = []
    deletes: list[str] = []
    for doc_id in wanted:
        row = by_id.get(doc_id)
        if row is not None and is_indexed(row["kind"], is_copy=row["is_copy"]):
            upserts.append(to_index_doc(row))
        else:
            deletes.append(doc_id)
    return upserts, deletes


async def shown_docs(pool: asyncpg.Pool, ids: Sequence[str]) -> list[IndexDoc]:
    """Documents as a hit shows them (reprints listed), of any kind that is not gone, in the order of `ids`:
    what an admin pinned is shown even if it is a home page the index leaves out."""
    wanted = _uuids(ids)
    if not wanted:
        return []
    rows = await pool.fetch(PROJECTION_SELECT + " where d.id = any($1::uuid[])", wanted)
    by_id = {r["id"]: to_index_doc(r) for r in rows}
    return [by_id[i] for i in wanted if i in by_id]

"""Per-day term counts of newly published documents, kept up to date from DocumentChanged, idempotently."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from core.analytics.records import CATALOGUE_KINDS, NAVIGATION_KINDS
from core.analytics.terms import TEXT_CHARS, salient_terms
from core.clock import local_date

HORIZON_DAYS = 35  # a WEEK window and the four weeks it is compared with
CONTENT_LOCK = 0x59_57_43_54  # "YWCT": batches of several consumer processes apply one at a time
Key = tuple[str, date]  # site, day
Entry = tuple[str, date, tuple[str, ...]]  # site, day, terms

# live_documents is core.documents' read-only view; the text is cut in Postgres, not shipped whole. List pages
# and home pages are navigation, not content published that day: their 下一页 and column names are no news.
# Datasets are catalogue records, not web content: a harvest of a hundred 名录 is no news either. A document that
# becomes one of these ($2: NOT_COUNTED) takes back what it added, as a gone one does.
NOT_COUNTED = (*NAVIGATION_KINDS, *CATALOGUE_KINDS)
READ_DOCUMENTS = f"""
select id, site_id, title, left(text, {TEXT_CHARS}) as text, published_at,
       (first_seen at time zone 'Asia/Shanghai')::date as first_day
from live_documents where id = any($1::uuid[]) and kind <> all($2::text[])"""

STORED = (
    "select document_id, site_id, day, terms from analytics_doc_terms where document_id = any($1::uuid[]) for update"
)

UPSERT_TERMS = """
insert into analytics_term_days as t (site_id, day, term, documents)
select * from unnest($1::text[], $2::date[], $3::text[], $4::int[])
on conflict (site_id, day, term) do update set documents = t.documents + excluded.documents"""

UPSERT_SITE_DAYS = """
insert into analytics_site_days as s (site_id, day, documents)
select * from unnest($1::text[], $2::date[], $3::int[])
on conflict (site_id, day) do update set documents = s.documents + excluded.documents"""

DROP_EMPTY = """
delete from analytics_term_days t using unnest($1::text[], $2::date[], $3::text[]) as u (site_id, day, term)
where t.site_id = u.site_id and t.day = u.day and t.term = u.term and t.documents <= 0"""

UPSERT_DOCS = """
insert into analytics_doc_terms (document_id, site_id, day, terms)
select u.id, u.site_id, u.day, array(select jsonb_array_elements_text(u.terms))
from unnest($1::uuid[], $2::text[], $3::date[], $4::jsonb[]) as u (id, site_id, day, terms)
on conflict (document_id) do update set site_id = excluded.site_id, day = excluded.day, terms = excluded.terms"""

PRUNE = (
    "delete from analytics_doc_terms where day < $1",
    "delete from analytics_term_days where day < $1",
    "delete from analytics_site_days where day < $1",
)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def document_day(published: date | None, first_day: date) -> date:
    """The day a document counts on: its published date, unless missing or later than when it was first seen."""
    return published if published is not None and published <= first_day else first_day


def _entries(rows: Sequence[asyncpg.Record], oldest: date) -> dict[str, Entry]:
    """The site, day and salient terms of each document of the horizon (CPU-bound: run in a thread)."""
    out: dict[str, Entry] = {}
    for r in rows:
        day = document_day(r["published_at"], r["first_day"])
        if day >= oldest:
            out[str(r["id"])] = (r["site_id"], day, tuple(salient_terms(r["title"], r["text"])))
    return out


@dataclass
class _Delta:
    terms: Counter[tuple[str, date, str]]
    docs: Counter[Key]

    def add(self, entry: Entry, sign: int) -> None:
        site, day, terms = entry
        self.docs[(site, day)] += sign
        for term in terms:
            self.terms[(site, day, term)] += sign


def _delta(old: dict[str, Entry], new: dict[str, Entry], ids: Sequence[str], oldest: date) -> _Delta:
    """What the documents' new states add and their stored states take back (not from days already pruned)."""
    delta = _Delta(Counter(), Counter())
    for doc in ids:
        before, after = old.get(doc), new.get(doc)
        if before == after:
            continue
        if before is not None and before[1] >= oldest:
            delta.add(before, -1)
        if after is not None:
            delta.add(after, +1)
    return delta


async def apply_documents(pool: asyncpg.Pool, document_ids: Sequence[str], *, now: datetime) -> int:
    """Count the current state of these documents (a gone or old one takes back what it added); returns how many
    documents changed the counts. Redelivered or reordered events change nothing: the state is read, not the event."""
    ids = sorted({d for d in document_ids if _is_uuid(d)})
    if not ids:
        return 0
    oldest = local_date(now) - timedelta(days=HORIZON_DAYS)
    async with pool.acquire() as conn, conn.transaction():
        # documents are read under the lock: a batch of another process cannot apply an older state after ours
        await conn.execute("select pg_advisory_xact_lock($1)", CONTENT_LOCK)
        rows = await conn.fetch(READ_DOCUMENTS, ids, list(NOT_COUNTED))
        new = await asyncio.to_thread(_entries, rows, oldest)
        stored = await conn.fetch(STORED, ids)
        old = {str(r["document_id"]): (r["site_id"], r["day"], tuple(r["terms"])) for r in stored}
        delta = _delta(old, new, ids, oldest)
        await _write(conn, delta)
        changed = [d for d in ids if old.get(d) != new.get(d)]
        gone = [d for d in changed if d not in new]
        if gone:
            await conn.execute("delete from analytics_doc_terms where document_id = any($1::uuid[])", gone)
        kept = [(d, *new[d]) for d in changed if d in new]
        if kept:
            args = [[k[i] for k in kept] for i in range(3)] + [[json.dumps(list(k[3])) for k in kept]]
            await conn.execute(UPSERT_DOCS, *args)
    return len(changed)


async def _write(conn: asyncpg.Connection, delta: _Delta) -> None:
    terms = sorted((k, n) for k, n in delta.terms.items() if n)  # a stable order keeps row locks ordered
    if terms:
        await conn.execute(UPSERT_TERMS, *zip(*(k for k, _ in terms), strict=True), [n for _, n in terms])
        dropped = [k for k, n in terms if n < 0]
        if dropped:
            await conn.execute(DROP_EMPTY, *zip(*dropped, strict=True))
    docs = sorted((k, n) for k, n in delta.docs.items() if n)
    if docs:
        await conn.execute(UPSERT_SITE_DAYS, *zip(*(k for k, _ in docs), strict=True), [n for _, n in docs])


async def prune_content(pool: asyncpg.Pool, *, now: datetime) -> int:
    """Forget documents and counts older than the horizon: no window reads them."""
    oldest = local_date(now) - timedelta(days=HORIZON_DAYS)
    removed = 0
    for statement in PRUNE:
        status = await pool.execute(statement, oldest)
        removed += int(status.split()[-1])
    return removed

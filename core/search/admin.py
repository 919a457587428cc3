"""What the web office changes in search: pinned results, colloquial-to-official synonyms, suggestions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from core.clock import local_date
from core.documents import get_documents
from core.errors import Invalid, NotFound, Upstream
from core.search.analysis import normalize_keyword
from core.search.lexicon_cache import LexiconCache, live_synonyms
from core.search.store import MAX_PINS_PER_QUERY, Candidate, Pin, SearchStore
from core.textzh.normalize import fold
from core.textzh.synonyms import SynonymTable

MAX_PHRASE_CHARS = 50


@dataclass(frozen=True)
class Synonym:
    """One rewrite of the live table: from the bundled list, or the web office's own (added, or a bundled one removed
    and added again) with who added it ("" when unknown)."""

    colloquial: str
    official: str
    source: str
    added_by: str = ""


def _store(cache: LexiconCache) -> SearchStore:
    if cache.store is None:
        raise Upstream("search administration needs the database")
    return cache.store


def _query(query: str) -> str:
    q = normalize_keyword(query)
    if not q or len(q) > MAX_PHRASE_CHARS * 2:
        raise Invalid(f"query must be 1 to {MAX_PHRASE_CHARS * 2} characters")
    return q


async def pin_result(cache: LexiconCache, *, query: str, document_id: str, until: datetime | None, by: str = "") -> Pin:
    """Pin a stored document to the top of a query's results (NotFound if no such document)."""
    store = _store(cache)
    q = _query(query)
    _document_id(document_id)
    if until is not None and (until.tzinfo is None or until <= datetime.now(UTC)):
        raise Invalid("until must be a future time with a time zone")
    docs = await get_documents(store.pool, [document_id])
    if document_id not in docs or docs[document_id].gone:
        raise NotFound(f"no document {document_id}")
    pin = await store.pin(q, document_id, until, by)
    if pin is None:
        raise Invalid(f"at most {MAX_PINS_PER_QUERY} pinned results per query")
    return pin


async def unpin_result(cache: LexiconCache, *, query: str, document_id: str) -> bool:
    """Remove a pin; False when there was none in force (never made, removed, or expired)."""
    return await _store(cache).unpin(_query(query), _document_id(document_id))


def _document_id(value: str) -> str:
    """A URL or a title sent where the UUID goes is said, not answered "no pin" (pinResult and unpinResult alike)."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise Invalid("documentId must be a document id (a UUID)") from None
    return value


def _phrase(value: str, name: str) -> str:
    folded = fold(value)
    if not folded or len(folded) > MAX_PHRASE_CHARS:
        raise Invalid(f"{name} must be 1 to {MAX_PHRASE_CHARS} characters")
    return folded


async def add_synonym(cache: LexiconCache, *, colloquial: str, official: str, by: str = "") -> Synonym:
    """Add a colloquial → official rewrite; it applies in this process at once and in others within a minute."""
    c, o = _phrase(colloquial, "colloquial"), _phrase(official, "official")
    if c == o:
        raise Invalid("colloquial and official are the same")
    await _store(cache).set_synonym(c, o, removed=False, created_by=by)
    cache.synonyms.add(c, o)
    return Synonym(c, o, "admin", by)


async def remove_synonym(cache: LexiconCache, *, colloquial: str, official: str | None) -> int:
    """Remove one rewrite (or every rewrite of the phrase); returns how many were removed."""
    c = _phrase(colloquial, "colloquial")
    targets = [_phrase(official, "official")] if official else cache.synonyms.officials(c)
    targets = [t for t in targets if t in cache.synonyms.officials(c)]
    store = _store(cache)
    for target in targets:
        await store.set_synonym(c, target, removed=True)
        cache.synonyms.remove(c, target)
    return len(targets)


async def list_synonyms(
    cache: LexiconCache, *, contains: str | None, offset: int, limit: int
) -> tuple[list[Synonym], int]:
    """A page of the live table, optionally only rows containing a string; and how many rows match. Read from
    the database when there is one (what every process applies within a minute), else this process's table."""
    table, authors = cache.synonyms, {}
    if cache.store is not None:
        edits = await cache.store.synonym_rows()
        table = live_synonyms(edits)
        authors = {(e.colloquial, e.official): e.created_by for e in edits if not e.removed}
    bundled = set(SynonymTable.default().rows())
    needle = fold(contains or "")
    rows = [r for r in table.rows() if not needle or needle in r[0] or needle in r[1]]
    page = [
        Synonym(c, o, "bundled")
        if (c, o) in bundled and (c, o) not in authors
        else Synonym(c, o, "admin", authors.get((c, o), ""))
        for c, o in rows[offset : offset + limit]
    ]
    return page, len(rows)


@dataclass(frozen=True)
class CandidatePage:
    """Counted queries of the window, most clients first, with the threshold at which they surface."""

    items: list[Candidate]
    total: int
    min_clients: int
    window_days: int


async def suggestion_candidates(
    cache: LexiconCache, *, contains: str | None, offset: int, limit: int, now: datetime
) -> CandidatePage:
    """Every counted query (the counts of this process saved first), surfaced or still below the threshold."""
    store = _store(cache)
    await cache.flush_counts()
    policy = cache.policy
    since = policy.since(local_date(now))
    items, total = await store.candidates(
        since=since, contains=normalize_keyword(contains or ""), offset=offset, limit=limit
    )
    return CandidatePage(items, total, policy.min_clients, policy.window_days)


def surfaced(cache: LexiconCache, candidate: Candidate) -> bool:
    """Whether the candidate is suggested (or will be at the next reload): enough clients, not blocked, clean."""
    enough = candidate.clients >= cache.policy.min_clients
    return enough and not candidate.blocked and cache.tally.acceptable(candidate.query)


async def block_suggestion(cache: LexiconCache, *, query: str, by: str = "") -> bool:
    """Never suggest this query (nor show it as a related search); at once here, within a reload elsewhere.
    False when it was blocked already."""
    added = await _store(cache).block(_query(query), by)
    await cache.refresh()
    return added


async def unblock_suggestion(cache: LexiconCache, *, query: str) -> bool:
    """Lift a block; False when there was none."""
    removed = await _store(cache).unblock(_query(query))
    await cache.refresh()
    return removed

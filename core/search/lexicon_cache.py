"""Per-process caches of query understanding, rebuilt in the background when the index changes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, replace

import asyncpg

from core.search.analysis import normalize_keyword
from core.search.engine import SearchEngine
from core.search.store import SearchStore
from core.search.suggest import Completer
from core.search.understand import Lexicon
from core.textzh.phrases import PhraseIndex
from core.textzh.synonyms import SynonymTable

log = logging.getLogger(__name__)

VOCABULARY_LIMIT = 300_000
PHRASE_TITLES = 20_000  # titles read for the phrase vocabulary of pinyin queries (any 20,000 of a larger index)
POPULAR_LIMIT = 5_000
MAX_AGE_S = 900.0  # rebuild at least this often even when the document count did not change
MAX_COUNTED_CHARS = 40
CHECK_S = 5.0  # how often the document count is compared; a change rebuilds at once


@dataclass(frozen=True)
class Snapshot:
    """Everything understanding and suggestions need, swapped in as a whole."""

    lexicon: Lexicon
    synonyms: SynonymTable
    popular: list[tuple[str, int]]
    completer: Completer
    queries: PhraseIndex  # popular queries keyed by their pinyin


class LexiconCache:
    """Holds the current Snapshot; `get` never waits for a rebuild except the very first one."""

    def __init__(self, engine: SearchEngine, pool: asyncpg.Pool | None, *, refresh_s: float = 60.0) -> None:
        self._engine = engine
        self._store = SearchStore(pool) if pool is not None else None
        self._refresh_s = refresh_s
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._full_at = 0.0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._counts: Counter[str] = Counter()
        self.synonyms = SynonymTable.default()

    @property
    def store(self) -> SearchStore | None:
        return self._store

    async def get(self) -> Snapshot:
        if self._snapshot is None:
            async with self._lock:
                if self._snapshot is None:
                    await self.refresh(force=True)
        elif time.monotonic() - self._checked >= CHECK_S and (self._task is None or self._task.done()):
            self._checked = time.monotonic()
            self._task = asyncio.create_task(self._refresh_logged())
        assert self._snapshot is not None
        return self._snapshot

    async def close(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self._flush_counts()

    def count_query(self, text: str) -> None:
        q = normalize_keyword(text)
        if q and len(q) <= MAX_COUNTED_CHARS:
            self._counts[q] += 1

    async def _refresh_logged(self) -> None:
        try:
            snapshot = self._snapshot
            due = snapshot is None or time.monotonic() - self._full_at >= self._refresh_s
            if not due and snapshot is not None and await self._engine.count() == snapshot.lexicon.doc_count:
                return
            await self.refresh()
        except Exception:
            log.exception("search caches were not refreshed; the previous ones stay in use")

    async def refresh(self, *, force: bool = False) -> None:
        """Reload synonyms and popular queries; rebuild the vocabulary caches if the index changed."""
        self._checked = self._full_at = time.monotonic()
        await self._flush_counts()
        popular: list[tuple[str, int]] = []
        if self._store is not None:
            await self._load_synonyms()
            popular = await self._store.popular_queries(POPULAR_LIMIT)
        count = await self._engine.count()
        old = self._snapshot
        lexicon = old.lexicon if old is not None else None
        if force or lexicon is None or lexicon.doc_count != count or time.monotonic() - lexicon.built_at > MAX_AGE_S:
            vocabulary = await self._engine.vocabulary(VOCABULARY_LIMIT)
            titles = await self._engine.titles(PHRASE_TITLES)
            lexicon = await asyncio.to_thread(Lexicon, vocabulary, doc_count=count, titles=titles)
        completer = await asyncio.to_thread(Completer, lexicon.readings, popular)
        queries = await asyncio.to_thread(PhraseIndex.from_queries, popular)
        self._snapshot = Snapshot(lexicon, self.synonyms, popular, completer, queries)

    async def _load_synonyms(self) -> None:
        assert self._store is not None
        table = SynonymTable.default()
        for row in await self._store.synonym_rows():
            if row.removed:
                table.remove(row.colloquial, row.official)
            else:
                table.add(row.colloquial, row.official)
        self.synonyms = table
        if self._snapshot is not None:
            self._snapshot = replace(self._snapshot, synonyms=table)

    async def _flush_counts(self) -> None:
        counts, self._counts = self._counts, Counter()
        if counts and self._store is not None:
            try:
                await self._store.add_query_counts(counts)
            except Exception:
                log.exception("query counts not saved")
                self._counts.update(counts)

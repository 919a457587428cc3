"""Per-process caches of query understanding, rebuilt in the background when the index changes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import asyncpg

from core.clock import Clock, local_date, system_clock
from core.heap import keep_built
from core.search.engine import SearchEngine
from core.search.popularity import QueryTally, SuggestPolicy
from core.search.store import SearchStore, SynonymRow
from core.search.suggest import Completer
from core.search.understand import Lexicon
from core.textzh.phrases import PhraseIndex
from core.textzh.synonyms import SynonymTable

log = logging.getLogger(__name__)

VOCABULARY_LIMIT = 300_000
PHRASE_TITLES = 20_000  # titles read for the phrase vocabulary of pinyin queries (any 20,000 of a larger index)
POPULAR_LIMIT = 5_000
MAX_AGE_S = 900.0  # rebuild at least this often even when the document count did not change
CHECK_S = 5.0  # how often the document count is compared; a change rebuilds when the last rebuild allows
# A vocabulary rebuild is a second or more of Python holding the GIL on a large index: while documents keep
# arriving (a crawl, an import) the index changes at every check, and rebuilding each time took a quarter of
# a core and stalled the requests' threads. After a rebuild that took t seconds, the next one waits 19 t
# (rebuilding is then at most 5 % of the process' time); synonyms and blocks still apply at once.
REBUILD_SHARE = 0.05


@dataclass(frozen=True)
class Snapshot:
    """Everything understanding and suggestions need, swapped in as a whole."""

    lexicon: Lexicon
    synonyms: SynonymTable
    popular: list[tuple[str, int]]
    completer: Completer
    queries: PhraseIndex  # popular queries keyed by their pinyin
    blocked: frozenset[str] = field(default_factory=frozenset)  # suggestions the web office blocked


class LexiconCache:
    """Holds the current Snapshot; `get` never waits for a rebuild except the very first one."""

    def __init__(
        self,
        engine: SearchEngine,
        pool: asyncpg.Pool | None,
        *,
        tally: QueryTally,
        policy: SuggestPolicy | None = None,
        refresh_s: float = 60.0,
        clock: Clock = system_clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._store = SearchStore(pool) if pool is not None else None
        self._refresh_s = refresh_s
        self.tally = tally
        self.policy = policy or SuggestPolicy()
        self._clock = clock
        self._now = monotonic  # the refresh timing; `clock` is the date queries are counted on
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._full_at = 0.0
        self._built_at = 0.0  # when the vocabulary was last built
        self._next_rebuild = 0.0  # before this, a changed document count does not rebuild it
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.synonyms = SynonymTable.default()

    @property
    def store(self) -> SearchStore | None:
        return self._store

    @property
    def blocked(self) -> frozenset[str]:
        """The suggestions the web office blocked, as the current snapshot holds them (none before the first)."""
        return self._snapshot.blocked if self._snapshot is not None else frozenset()

    @property
    def loaded(self) -> bool:
        """Whether the first snapshot is built: a search then never waits for one."""
        return self._snapshot is not None

    async def get(self) -> Snapshot:
        if self._snapshot is None:
            async with self._lock:
                if self._snapshot is None:
                    await self.refresh(force=True)
        elif self._now() - self._checked >= CHECK_S and (self._task is None or self._task.done()):
            self._checked = self._now()
            self._task = asyncio.create_task(self._refresh_logged())
        assert self._snapshot is not None
        return self._snapshot

    async def close(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush_counts()

    def count_query(self, text: str, *, client: str | None, found: bool) -> bool:
        """Count a search towards suggestions (once per client and day; see QueryTally.count)."""
        return self.tally.count(text, client=client, found=found, day=local_date(self._clock()))

    async def _refresh_logged(self) -> None:
        try:
            snapshot = self._snapshot
            due = snapshot is None or self._now() - self._full_at >= self._refresh_s
            if not due and snapshot is not None and not await self._index_moved(snapshot.lexicon):
                return
            await self.refresh()
        except Exception:
            log.exception("search caches were not refreshed; the previous ones stay in use")

    async def refresh(self, *, force: bool = False) -> None:
        """Reload synonyms and popular queries; rebuild the vocabulary caches if the index changed."""
        self._checked = self._full_at = self._now()
        await self.flush_counts()
        popular: list[tuple[str, int]] = []
        blocked: frozenset[str] = frozenset()
        if self._store is not None:
            await self._load_synonyms()
            popular, blocked = await self._load_popular()
        count = await self._engine.count()
        old = self._snapshot
        lexicon = old.lexicon if old is not None else None
        moved = lexicon is not None and lexicon.doc_count != count and self._now() >= self._next_rebuild
        if force or lexicon is None or moved or self._now() - self._built_at > MAX_AGE_S:
            started = self._now()
            vocabulary = await self._engine.vocabulary(VOCABULARY_LIMIT)
            titles = await self._engine.titles(PHRASE_TITLES)
            lexicon = await asyncio.to_thread(Lexicon, vocabulary, doc_count=count, titles=titles)
            keep_built("query vocabulary")
            self._built_at = self._now()
            self._next_rebuild = self._built_at + (self._built_at - started) * (1 / REBUILD_SHARE - 1)
        completer = await asyncio.to_thread(Completer, lexicon.readings, popular)
        queries = await asyncio.to_thread(PhraseIndex.from_queries, popular)
        self._snapshot = Snapshot(lexicon, self.synonyms, popular, completer, queries, blocked)

    async def _index_moved(self, lexicon: Lexicon) -> bool:
        """Whether the index's document count moved since the vocabulary was built, and a rebuild may start."""
        return self._now() >= self._next_rebuild and await self._engine.count() != lexicon.doc_count

    async def _load_popular(self) -> tuple[list[tuple[str, int]], frozenset[str]]:
        """Queries that surfaced (enough clients in the window, not blocked, no sensitive word) and the blocks."""
        assert self._store is not None
        since = self.policy.since(local_date(self._clock()))
        rows = await self._store.popular_queries(since=since, min_clients=self.policy.min_clients, limit=POPULAR_LIMIT)
        return [r for r in rows if self.tally.acceptable(r[0])], frozenset(await self._store.blocked())

    async def _load_synonyms(self) -> None:
        assert self._store is not None
        table = live_synonyms(await self._store.synonym_rows())
        self.synonyms = table
        if self._snapshot is not None:
            self._snapshot = replace(self._snapshot, synonyms=table)

    async def flush_counts(self) -> None:
        """Save the searches counted since the last flush; forget what has left the window."""
        rows = self.tally.drain()
        if self._store is None:
            return
        try:
            await self._store.add_query_clients(rows)
            await self._store.prune(today=local_date(self._clock()), window_days=self.policy.window_days)
        except Exception:
            log.exception("query counts not saved")
            self.tally.restore(rows)


def live_synonyms(rows: Sequence[SynonymRow]) -> SynonymTable:
    """The table in force: the bundled one with the web office's edits applied."""
    table = SynonymTable.default()
    for row in rows:
        if row.removed:
            table.remove(row.colloquial, row.official)
        else:
            table.add(row.colloquial, row.official)
    return table

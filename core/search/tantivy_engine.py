"""SearchEngine on an embedded tantivy index: one writer process, readers that follow swaps.

The index is split into shards by document id, searched side by side in threads (tantivy releases the
GIL) and merged, as Elasticsearch searches its shards: a query over a million documents then takes about
half as long on two cores.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import tantivy

from core.errors import Upstream
from core.search.analysis import can_relax, char_terms
from core.search.engine import RebuildHandle
from core.search.highlight import highlight_all, highlight_terms, snippet
from core.search.models import IndexDoc, SearchHit, SearchRequest, SearchResult
from core.search.rescore import (
    EXACT_TEXT_BOOST,
    EXACT_TITLE_BOOST,
    RESCORE_WINDOW,
    Field,
    exact_chunks,
    idf,
    match_form,
    rescored,
)
from core.search.tantivy_query import build_query, highlight_source
from core.search.tantivy_rebuild import (
    Prepared,
    TantivyRebuild,
    close_writers,
    create_shards,
    open_writers,
    prepare,
    write,
)
from core.search.tantivy_schema import SCHEMA_VERSION, STORED_KEYWORDS, build_schema, stored_fields
from core.search.tantivy_shards import FacetCounts, Found, merge_facets, merge_found, shard_facet_size
from core.search.tantivy_store import DEFAULT_SHARDS, MAX_SHARDS, GenerationStore, shard_paths

logger = logging.getLogger(__name__)

MAX_OFFSET = 10_000  # tantivy keeps offset+limit docs in a heap; deeper pages are not served
T = TypeVar("T")
U = TypeVar("U")


def _pool(name: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=MAX_SHARDS, thread_name_prefix=f"tantivy-{name}")


@dataclass
class _Live:
    name: str
    indexes: list[tantivy.Index]
    paths: list[Path]
    pointer_stamp: tuple[int, int] | None
    meta_stamps: list[tuple[int, int, int] | None]


def _meta_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = (path / "meta.json").stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class TantivyEngine:
    """SearchEngine over `data_dir/search/<index_name>`; the writer is opened lazily on first write."""

    def __init__(
        self,
        data_dir: Path,
        index_name: str = "documents",
        *,
        writer_heap_bytes: int = 64_000_000,
        shards: int = DEFAULT_SHARDS,
    ) -> None:
        """`shards` is the number a new generation (the first, or a rebuild) is split into; an existing
        generation keeps the number it was built with. `writer_heap_bytes` is per shard."""
        if not 1 <= shards <= MAX_SHARDS:
            raise ValueError(f"a search index has 1 to {MAX_SHARDS} shards, not {shards}")
        self._store = GenerationStore(Path(data_dir) / "search" / index_name, SCHEMA_VERSION)
        self._schema = build_schema()
        self._heap = writer_heap_bytes
        self._shards = shards
        self._state_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._live: _Live | None = None
        self._writers: list[tantivy.IndexWriter] = []
        self._writer_gen: str | None = None
        self._rebuild: TantivyRebuild | None = None
        # Shards are ranked in one pool and facets counted in another, so that neither waits for the other.
        self._ranking = _pool("shards")
        self._counting = _pool("facets")

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        with self._store.locked():
            if self._store.current() is None:
                name = self._store.new_generation()
                create_shards(self._store.path(name), self._schema, self._shards)
                self._store.publish(name)
        self._refresh()

    async def close(self) -> None:
        rebuild, self._rebuild = self._rebuild, None
        if rebuild is not None:
            await rebuild.abort()
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        for old in (self._ranking, self._counting):
            old.shutdown(wait=True)
        self._ranking, self._counting = _pool("shards"), _pool("facets")  # threads start only when used
        with self._write_lock:
            self._drop_writer()
        with self._state_lock:
            self._live = None

    def _refresh(self) -> _Live:
        """The live generation, reopened after a swap and reloaded after a commit (by any process)."""
        with self._state_lock:
            stamp = self._store.pointer_stamp()
            live = self._live
            if live is None or stamp != live.pointer_stamp:
                name = self._store.current()
                if name is None:
                    raise Upstream("the search index has not been created yet: open() the engine first")
                if live is None or name != live.name:
                    self._store.check_version(name)
                    paths = shard_paths(self._store.path(name))
                    try:
                        indexes = [tantivy.Index.open(str(path)) for path in paths]
                    except ValueError as exc:
                        raise Upstream(f"search index generation {name} cannot be opened: {exc}") from exc
                    for index in indexes:
                        index.config_reader(reload_policy="manual")
                    live = _Live(name, indexes, paths, stamp, [None] * len(indexes))
                    logger.info("search index generation %s opened (%d shards)", name, len(indexes))
                live.pointer_stamp = stamp
                self._live = live
            for i, index in enumerate(live.indexes):
                meta = _meta_stamp(live.paths[i])
                if meta != live.meta_stamps[i]:
                    index.reload()
                    live.meta_stamps[i] = meta
            return live

    def _drop_writer(self) -> None:
        """Wait for merges and release the directory locks (tantivy consumes the writers doing so)."""
        writers, self._writers, self._writer_gen = self._writers, [], None
        close_writers(writers, rollback=False)

    def _apply(self, upserts: Prepared, deletes: Sequence[str]) -> None:
        with self._write_lock:
            live = self._refresh()
            if self._writer_gen != live.name:
                self._drop_writer()
                self._writers = open_writers(live.indexes, self._heap)
                self._writer_gen = live.name
            write(self._writers, upserts, deletes)
            if self._rebuild is not None:
                # changes made while a rebuild runs must reach the new generation too
                self._rebuild.apply(upserts, deletes)
        self._refresh()

    async def upsert(self, docs: Sequence[IndexDoc]) -> None:
        if docs:
            await asyncio.to_thread(lambda: self._apply(prepare(docs), ()))

    async def delete(self, ids: Sequence[str]) -> None:
        if ids:
            await asyncio.to_thread(self._apply, [], list(ids))

    async def search(self, req: SearchRequest) -> SearchResult:
        req.validate()
        return await asyncio.to_thread(self._search, req)

    def _search(self, req: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        searchers = [index.searcher() for index in self._refresh().indexes]
        query = build_query(self._schema, req)
        # Facets are a second pass over every match: run it beside the ranking (tantivy releases the GIL).
        facets = self._count_facets(searchers, query, req.facets) if req.facets else None
        chunks = exact_chunks(req.query) if req.sort == "relevance" else []
        grouped = req.sort == "relevance" and req.group_by in STORED_KEYWORDS and req.group_size > 0
        window = RESCORE_WINDOW if chunks or grouped else 0
        total, found = self._top(searchers, query, req, window)
        if total == 0 and can_relax(req.query):
            # Like Meilisearch's matching strategy: when no document has every term, accept fewer.
            query = build_query(self._schema, req, relaxed=True)
            total, found = self._top(searchers, query, req, window)
            if facets is not None:
                facets()  # one count in flight per search: let the first finish before the next
                facets = self._count_facets(searchers, query, req.facets)
        loaded: dict[tuple[int, int, int], tantivy.Document] = {}
        if found and chunks:
            found, loaded = self._rescore(searchers, found, chunks, RESCORE_WINDOW)
        terms = highlight_terms(highlight_source(req)) if req.highlight else []

        def load(f: Found) -> tantivy.Document:
            return loaded.get(f.where) or searchers[f.shard].doc(f.address)

        def hit(f: Found) -> SearchHit:
            d = stored_fields(load(f))
            return SearchHit(
                id=d["id"], url=d["url"], title=d["title"], title_highlighted=highlight_all(d["title"], terms),
                snippet=snippet(d["text"], terms), score=float(f.key) if req.sort == "relevance" else 0.0,
                site=d["site"], kind=d["kind"], published_at=d["published_at"], doc_no=d["doc_no"],
                issuer=d["issuer"], copies=d["copies"],
            )  # fmt: skip

        hits = [hit(f) for f in found[req.offset : req.offset + req.limit]]
        groups: dict[str, list[tuple[int, SearchHit]]] = {}
        if grouped:
            # the best of each group among the re-ranked window, with their ranks there, so that callers
            # merging groups order them as one search would (ties included)
            for rank, f in enumerate(found[:RESCORE_WINDOW]):
                value = load(f).get_first(req.group_by) or ""
                if value and len(group := groups.setdefault(value, [])) < req.group_size:
                    group.append((rank, hit(f)))
        return SearchResult(hits, total, facets() if facets else {}, (time.perf_counter() - started) * 1000, groups)

    @staticmethod
    def _submit(pool: ThreadPoolExecutor, fn: Callable[..., U], *args: Any) -> Future[U]:
        """`fn(*args)` in `pool`; here and now if the pool was shut down by close() (a search still
        running finishes alone)."""
        try:
            return pool.submit(fn, *args)
        except RuntimeError:
            done: Future[U] = Future()
            done.set_result(fn(*args))
            return done

    def _each(self, fn: Callable[[T], U], items: Sequence[T]) -> list[U]:
        """`fn` of every shard's item, side by side: the first in this thread, the others in the pool."""
        pending = [self._submit(self._ranking, fn, item) for item in items[1:]]
        return [fn(item) for item in items[:1]] + [f.result() for f in pending]

    def _top(
        self, searchers: Sequence[tantivy.Searcher], query: tantivy.Query, req: SearchRequest, window: int
    ) -> tuple[int, list[Found]]:
        """The total and the best `offset + limit` matches, or `window` of them if that is more: each
        shard's best, merged."""
        if req.limit == 0 or req.offset >= MAX_OFFSET:  # tantivy panics on limit 0

            def count(searcher: tantivy.Searcher) -> int:
                return int(searcher.search(query, limit=1, count=True).count)  # type: ignore[attr-defined]

            return sum(self._each(count, searchers)), []
        by_date = req.sort != "relevance"
        limit = max(req.offset + req.limit, window)

        def shard(searcher: tantivy.Searcher) -> Any:
            return searcher.search(
                query,
                limit=limit,
                count=True,
                order_by_field="published_at" if by_date else None,
                order=tantivy.Order.Asc if req.sort == "date_asc" else tantivy.Order.Desc,
            )

        results = self._each(shard, searchers)
        found = merge_found([r.hits for r in results], descending=req.sort != "date_asc", limit=limit)
        return sum(int(r.count) for r in results), found

    def _count_facets(
        self, searchers: Sequence[tantivy.Searcher], query: tantivy.Query, names: Sequence[str]
    ) -> Callable[[], FacetCounts]:
        """Facet counts, computed in other threads (one per shard) while the caller ranks; calling the
        result waits for them and merges the shards'."""
        size = shard_facet_size(len(searchers))
        parts = [self._submit(self._counting, self._facets, s, query, names, size) for s in searchers]
        return lambda: merge_facets([part.result() for part in parts], names)

    @staticmethod
    def _rescore(
        searchers: Sequence[tantivy.Searcher], found: list[Found], chunks: list[str], size: int
    ) -> tuple[list[Found], dict[tuple[int, int, int], tantivy.Document]]:
        """The first `size` matches re-ranked with the exact-chunk bonus, the rest below them in
        their order (pages agree with each other); the documents loaded on the way, to be reused."""
        head = found[:size]
        docs = [searchers[f.shard].doc(f.address) for f in head]
        n = sum(int(s.num_docs) for s in searchers)

        def doc_freq(field: str, term: str) -> int:
            return sum(int(s.doc_freq(field, term)) for s in searchers)

        def field(stored: str, chars: str, boost: float) -> Field:
            weights = [(c, sum(idf(n, doc_freq(chars, t)) for t in char_terms(c))) for c in chunks]
            return Field([match_form((d.get_first(stored) or b"").decode()) for d in docs], weights, boost)

        fields = [field("title", "title_chars", EXACT_TITLE_BOOST), field("text", "text_chars", EXACT_TEXT_BOOST)]
        scores = rescored([float(f.key) for f in head], fields)
        order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
        ranked = [Found(scores[i], head[i].shard, head[i].address) for i in order]
        return ranked + found[size:], {f.where: d for f, d in zip(head, docs, strict=True)}

    @staticmethod
    def _facets(searcher: tantivy.Searcher, query: tantivy.Query, names: Sequence[str], size: int) -> FacetCounts:
        if not names:
            return {}
        aggs = {name: {"terms": {"field": name, "size": size}} for name in names}
        result = searcher.aggregate(query, aggs)
        return {name: [(str(b["key"]), int(b["doc_count"])) for b in result[name]["buckets"]] for name in names}

    async def count(self) -> int:
        return await asyncio.to_thread(self._count)

    def _count(self) -> int:
        return sum(int(index.searcher().num_docs) for index in self._refresh().indexes)

    async def vocabulary(self, limit: int) -> list[tuple[str, int]]:
        return await asyncio.to_thread(self._vocabulary, limit)

    def _vocabulary(self, limit: int) -> list[tuple[str, int]]:
        # Frequencies come from the term dictionaries: deleted documents count until segments merge.
        searchers = [index.searcher() for index in self._refresh().indexes]  # one generation for both fields
        freq: dict[str, int] = {}
        for field in ("title_terms", "text_terms"):
            in_field: dict[str, int] = {}
            for searcher in searchers:
                for term, df in searcher.terms_with_prefix(field, ""):
                    in_field[term] = in_field.get(term, 0) + int(df)
            for term, df in in_field.items():
                freq[term] = max(freq.get(term, 0), df)
        return sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[: max(0, limit)]

    async def titles(self, limit: int) -> list[str]:
        return await asyncio.to_thread(self._titles, limit)

    def _titles(self, limit: int) -> list[str]:
        out: list[str] = []
        for index in self._refresh().indexes:
            searcher = index.searcher()
            wanted = min(limit - len(out), int(searcher.num_docs))
            if wanted > 0:
                found = searcher.search(tantivy.Query.all_query(), limit=wanted).hits
                out += [(searcher.doc(address).get_first("title") or b"").decode() for _, address in found]
        return out

    async def health(self) -> bool:
        try:
            await self.count()
        except Exception:
            logger.exception("search index health check failed")
            return False
        return True

    async def begin_rebuild(self) -> RebuildHandle:
        if self._rebuild is not None:
            raise Upstream("a rebuild of this search index is already running in this process")
        rebuild = await asyncio.to_thread(
            TantivyRebuild,
            self._store,
            self._schema,
            heap_bytes=self._heap,
            shards=self._shards,
            live_write_lock=self._write_lock,
            on_done=self._rebuild_done,
        )
        self._rebuild = rebuild
        return rebuild

    def _rebuild_done(self, rebuild: TantivyRebuild) -> None:
        """Called with the live write lock held once a rebuild is swapped in or aborted."""
        if self._rebuild is rebuild:
            self._rebuild = None

"""SearchEngine on an embedded tantivy index: one writer process, readers that follow swaps."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tantivy

from core.errors import Upstream
from core.search.analysis import can_relax, char_terms
from core.search.engine import RebuildHandle
from core.search.highlight import highlight_all, highlight_terms, snippet
from core.search.models import MAX_FACET_VALUES, IndexDoc, SearchHit, SearchRequest, SearchResult
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
from core.search.tantivy_rebuild import Prepared, TantivyRebuild, prepare, write
from core.search.tantivy_schema import SCHEMA_VERSION, STORED_KEYWORDS, build_schema, stored_fields
from core.search.tantivy_store import GenerationStore

logger = logging.getLogger(__name__)

MAX_OFFSET = 10_000  # tantivy keeps offset+limit docs in a heap; deeper pages are not served


def _counting_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="tantivy-facets")


def _key(address: tantivy.DocAddress) -> tuple[int, int]:
    return (address.segment_ord, address.doc)


@dataclass
class _Live:
    name: str
    index: tantivy.Index
    pointer_stamp: tuple[int, int] | None
    meta_stamp: tuple[int, int, int] | None = None


def _meta_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = (path / "meta.json").stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class TantivyEngine:
    """SearchEngine over `data_dir/search/<index_name>`; the writer is opened lazily on first write."""

    def __init__(self, data_dir: Path, index_name: str = "documents", *, writer_heap_bytes: int = 64_000_000) -> None:
        self._store = GenerationStore(Path(data_dir) / "search" / index_name, SCHEMA_VERSION)
        self._schema = build_schema()
        self._heap = writer_heap_bytes
        self._state_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._live: _Live | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._writer_gen: str | None = None
        self._rebuild: TantivyRebuild | None = None
        self._counting = _counting_pool()

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        with self._store.locked():
            if self._store.current() is None:
                name = self._store.new_generation()
                tantivy.Index(self._schema, path=str(self._store.path(name)))
                self._store.publish(name)
        self._refresh()

    async def close(self) -> None:
        rebuild, self._rebuild = self._rebuild, None
        if rebuild is not None:
            await rebuild.abort()
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        counting, self._counting = self._counting, _counting_pool()  # threads start only when used
        counting.shutdown(wait=True)
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
                    try:
                        index = tantivy.Index.open(str(self._store.path(name)))
                    except ValueError as exc:
                        raise Upstream(f"search index generation {name} cannot be opened: {exc}") from exc
                    index.config_reader(reload_policy="manual")
                    live = _Live(name, index, stamp)
                    logger.info("search index generation %s opened", name)
                live.pointer_stamp = stamp
                self._live = live
            meta = _meta_stamp(self._store.path(live.name))
            if meta != live.meta_stamp:
                live.index.reload()
                live.meta_stamp = meta
            return live

    def _drop_writer(self) -> None:
        """Wait for merges and release the directory lock (tantivy consumes the writer doing so)."""
        writer, self._writer, self._writer_gen = self._writer, None, None
        if writer is not None:
            try:
                writer.wait_merging_threads()
            except Exception:
                logger.exception("search index writer did not close cleanly")

    def _apply(self, upserts: Prepared, deletes: Sequence[str]) -> None:
        with self._write_lock:
            live = self._refresh()
            if self._writer_gen != live.name:
                self._drop_writer()
                try:
                    self._writer = live.index.writer(heap_size=self._heap, num_threads=1)
                except ValueError as exc:
                    raise Upstream(f"search index is locked by another writer: {exc}") from exc
                self._writer_gen = live.name
            assert self._writer is not None
            write(self._writer, upserts, deletes)
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
        searcher = self._refresh().index.searcher()
        query = build_query(self._schema, req)
        # Facets are a second pass over every match: run it beside the ranking (tantivy releases the GIL).
        facets = self._count_facets(searcher, query, req.facets) if req.facets else None
        chunks = exact_chunks(req.query) if req.sort == "relevance" else []
        grouped = req.sort == "relevance" and req.group_by in STORED_KEYWORDS and req.group_size > 0
        window = RESCORE_WINDOW if chunks or grouped else 0
        total, found = self._top(searcher, query, req, window)
        if total == 0 and can_relax(req.query):
            # Like Meilisearch's matching strategy: when no document has every term, accept fewer.
            query = build_query(self._schema, req, relaxed=True)
            total, found = self._top(searcher, query, req, window)
            if facets is not None:
                facets.result()
                facets = self._count_facets(searcher, query, req.facets)
        loaded: dict[tuple[int, int], tantivy.Document] = {}
        if found and chunks:
            found, loaded = self._rescore(searcher, found, chunks, RESCORE_WINDOW)
        terms = highlight_terms(highlight_source(req)) if req.highlight else []

        def hit(score: float, address: tantivy.DocAddress) -> SearchHit:
            f = stored_fields(loaded.get(_key(address)) or searcher.doc(address))
            return SearchHit(
                id=f["id"], url=f["url"], title=f["title"], title_highlighted=highlight_all(f["title"], terms),
                snippet=snippet(f["text"], terms), score=float(score) if req.sort == "relevance" else 0.0,
                site=f["site"], kind=f["kind"], published_at=f["published_at"], doc_no=f["doc_no"],
                issuer=f["issuer"], copies=f["copies"],
            )  # fmt: skip

        hits = [hit(score, address) for score, address in found[req.offset : req.offset + req.limit]]
        groups: dict[str, list[tuple[int, SearchHit]]] = {}
        if grouped:
            # the best of each group among the re-ranked window, with their ranks there, so that callers
            # merging groups order them as one search would (ties included)
            for rank, (score, address) in enumerate(found[:RESCORE_WINDOW]):
                doc = loaded.get(_key(address)) or searcher.doc(address)
                value = doc.get_first(req.group_by) or ""
                if value and len(group := groups.setdefault(value, [])) < req.group_size:
                    group.append((rank, hit(score, address)))
        return SearchResult(
            hits, total, facets.result() if facets else {}, (time.perf_counter() - started) * 1000, groups
        )

    @staticmethod
    def _top(searcher: tantivy.Searcher, query: tantivy.Query, req: SearchRequest, window: int) -> tuple[int, list]:
        """The total and the best `offset + limit` matches, or `window` of them if that is more."""
        if req.limit == 0 or req.offset >= MAX_OFFSET:  # tantivy panics on limit 0
            return int(searcher.search(query, limit=1, count=True).count), []  # type: ignore[attr-defined]
        result = searcher.search(
            query,
            limit=max(req.offset + req.limit, window),
            count=True,
            order_by_field=None if req.sort == "relevance" else "published_at",
            order=tantivy.Order.Asc if req.sort == "date_asc" else tantivy.Order.Desc,
        )
        return int(result.count), result.hits  # type: ignore[attr-defined]

    def _count_facets(self, searcher: tantivy.Searcher, query: tantivy.Query, names: Sequence[str]) -> Future[dict]:
        """Facet counts computed in another thread; in this one if the engine is closing meanwhile."""
        try:
            return self._counting.submit(self._facets, searcher, query, names)
        except RuntimeError:  # the pool was shut down by close(): a search still running finishes alone
            done: Future[dict] = Future()
            done.set_result(self._facets(searcher, query, names))
            return done

    @staticmethod
    def _rescore(
        searcher: tantivy.Searcher, found: list, chunks: list[str], size: int
    ) -> tuple[list, dict[tuple[int, int], tantivy.Document]]:
        """The first `size` matches re-ranked with the exact-chunk bonus, the rest below them in
        their order (pages agree with each other); the documents loaded on the way, to be reused."""
        head = found[:size]
        docs = [searcher.doc(address) for _, address in head]
        n = int(searcher.num_docs)

        def field(stored: str, chars: str, boost: float) -> Field:
            weights = [(c, sum(idf(n, int(searcher.doc_freq(chars, t))) for t in char_terms(c))) for c in chunks]
            return Field([match_form((d.get_first(stored) or b"").decode()) for d in docs], weights, boost)

        fields = [field("title", "title_chars", EXACT_TITLE_BOOST), field("text", "text_chars", EXACT_TEXT_BOOST)]
        scores = rescored([float(s) for s, _ in head], fields)
        order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
        ranked = [(scores[i], head[i][1]) for i in order]
        return ranked + found[size:], {_key(a): d for (_, a), d in zip(head, docs, strict=True)}

    @staticmethod
    def _facets(searcher: tantivy.Searcher, query: tantivy.Query, names: Sequence[str]) -> dict:
        if not names:
            return {}
        aggs = {name: {"terms": {"field": name, "size": MAX_FACET_VALUES}} for name in names}
        result = searcher.aggregate(query, aggs)
        return {
            name: sorted(
                ((str(b["key"]), int(b["doc_count"])) for b in result[name]["buckets"]),
                key=lambda kv: (-kv[1], kv[0]),
            )
            for name in names
        }

    async def count(self) -> int:
        return await asyncio.to_thread(lambda: int(self._refresh().index.searcher().num_docs))

    async def vocabulary(self, limit: int) -> list[tuple[str, int]]:
        return await asyncio.to_thread(self._vocabulary, limit)

    def _vocabulary(self, limit: int) -> list[tuple[str, int]]:
        # Frequencies come from the term dictionary: deleted documents count until segments merge.
        searcher = self._refresh().index.searcher()
        freq: dict[str, int] = {}
        for field in ("title_terms", "text_terms"):
            for term, df in searcher.terms_with_prefix(field, ""):
                freq[term] = max(freq.get(term, 0), int(df))
        return sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[: max(0, limit)]

    async def titles(self, limit: int) -> list[str]:
        return await asyncio.to_thread(self._titles, limit)

    def _titles(self, limit: int) -> list[str]:
        searcher = self._refresh().index.searcher()
        if limit <= 0 or searcher.num_docs == 0:
            return []
        found = searcher.search(tantivy.Query.all_query(), limit=min(limit, searcher.num_docs)).hits
        return [(searcher.doc(address).get_first("title") or b"").decode() for _, address in found]

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
            live_write_lock=self._write_lock,
            on_done=self._rebuild_done,
        )
        self._rebuild = rebuild
        return rebuild

    def _rebuild_done(self, rebuild: TantivyRebuild) -> None:
        """Called with the live write lock held once a rebuild is swapped in or aborted."""
        if self._rebuild is rebuild:
            self._rebuild = None

"""One search over tantivy shards: ranked side by side and merged, relaxed, rescored, facets counted beside."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import tantivy

from core.search.analysis import can_relax, char_terms
from core.search.highlight import highlight_all, highlight_terms, snippet
from core.search.models import SearchHit, SearchRequest, SearchResult
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
from core.search.tantivy_schema import STORED_KEYWORDS, stored_fields
from core.search.tantivy_shards import FacetCounts, Found, merge_facets, merge_found, shard_facet_size
from core.search.tantivy_store import MAX_SHARDS

MAX_OFFSET = 10_000  # tantivy keeps offset+limit docs in a heap; deeper pages are not served
T = TypeVar("T")
U = TypeVar("U")
Loaded = dict[tuple[int, int, int], tantivy.Document]


def _pool(name: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=MAX_SHARDS, thread_name_prefix=f"tantivy-{name}")


class ShardSearch:
    """Searches of one schema's shards: they are ranked in one pool and facets counted in another, so that
    neither waits for the other."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self._schema = schema
        self._ranking = _pool("shards")
        self._counting = _pool("facets")

    def reset(self) -> None:
        """Wait for running searches and start over with fresh pools (threads start only when used)."""
        for old in (self._ranking, self._counting):
            old.shutdown(wait=True)
        self._ranking, self._counting = _pool("shards"), _pool("facets")

    def search(self, searchers: Sequence[tantivy.Searcher], req: SearchRequest) -> SearchResult:
        started = time.perf_counter()
        query = build_query(self._schema, req)
        # Facets are a second pass over every match: run it beside the ranking (tantivy releases the GIL).
        facets = self._count_facets(searchers, query, req.facets) if req.facets else None
        # an any-term variant is words picked from the query, not what was typed: no verbatim chunks to reward
        chunks = exact_chunks(req.query) if req.sort == "relevance" and not req.any_term else []
        grouped = req.sort == "relevance" and req.group_by in STORED_KEYWORDS and req.group_size > 0
        window = RESCORE_WINDOW if chunks or grouped else 0
        total, found = self._top(searchers, query, req, window)
        relaxed = total == 0 and not req.any_term and can_relax(req.query)
        if relaxed:
            # Like Meilisearch's matching strategy: when no document has every term, accept fewer.
            query = build_query(self._schema, req, relaxed=True)
            total, found = self._top(searchers, query, req, window)
            if facets is not None:
                facets()  # one count in flight per search: let the first finish before the next
                facets = self._count_facets(searchers, query, req.facets)
        loaded: Loaded = {}
        if found and chunks:
            found, loaded = _rescore(searchers, found, chunks, RESCORE_WINDOW)
        page = _Page(searchers, loaded, req, highlight_terms(highlight_source(req)) if req.highlight else [])
        hits = [page.hit(f) for f in found[req.offset : req.offset + req.limit]]
        groups = page.groups(found[:RESCORE_WINDOW]) if grouped else {}
        counts = facets() if facets else {}
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResult(hits=hits, total=total, facets=counts, took_ms=took_ms, groups=groups, relaxed=relaxed)

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
                count=not req.any_term,  # counting every document with one of its words costs more than ranking
                order_by_field="published_at" if by_date else None,
                order=tantivy.Order.Asc if req.sort == "date_asc" else tantivy.Order.Desc,
            )

        results = self._each(shard, searchers)
        found = merge_found([r.hits for r in results], descending=req.sort != "date_asc", limit=limit)
        return (len(found) if req.any_term else sum(int(r.count) for r in results)), found

    def _count_facets(
        self, searchers: Sequence[tantivy.Searcher], query: tantivy.Query, names: Sequence[str]
    ) -> Callable[[], FacetCounts]:
        """Facet counts, computed in other threads (one per shard) while the caller ranks; calling the
        result waits for them and merges the shards'."""
        size = shard_facet_size(len(searchers))
        parts = [self._submit(self._counting, _facets, s, query, names, size) for s in searchers]
        return lambda: merge_facets([part.result() for part in parts], names)


@dataclass(frozen=True)
class _Page:
    """Hits made from the matches of one search: stored fields, highlighted; documents loaded once."""

    searchers: Sequence[tantivy.Searcher]
    loaded: Loaded
    req: SearchRequest
    terms: list[str]

    def load(self, f: Found) -> tantivy.Document:
        return self.loaded.get(f.where) or self.searchers[f.shard].doc(f.address)

    def hit(self, f: Found) -> SearchHit:
        d = stored_fields(self.load(f))
        return SearchHit(
            id=d["id"],
            url=d["url"],
            title=d["title"],
            title_highlighted=highlight_all(d["title"], self.terms),
            snippet=snippet(d["text"], self.terms),
            score=float(f.key) if self.req.sort == "relevance" else 0.0,
            site=d["site"],
            kind=d["kind"],
            published_at=d["published_at"],
            doc_no=d["doc_no"],
            issuer=d["issuer"],
            copies=d["copies"],
        )

    def groups(self, window: Sequence[Found]) -> dict[str, list[tuple[int, SearchHit]]]:
        """The best of each group among the re-ranked window, with their ranks there, so that callers
        merging groups order them as one search would (ties included)."""
        groups: dict[str, list[tuple[int, SearchHit]]] = {}
        for rank, f in enumerate(window):
            value = self.load(f).get_first(self.req.group_by) or ""
            if value and len(group := groups.setdefault(value, [])) < self.req.group_size:
                group.append((rank, self.hit(f)))
        return groups


def _rescore(
    searchers: Sequence[tantivy.Searcher], found: list[Found], chunks: list[str], size: int
) -> tuple[list[Found], Loaded]:
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


def _facets(searcher: tantivy.Searcher, query: tantivy.Query, names: Sequence[str], size: int) -> FacetCounts:
    if not names:
        return {}
    aggs = {name: {"terms": {"field": name, "size": size}} for name in names}
    result = searcher.aggregate(query, aggs)
    return {name: [(str(b["key"]), int(b["doc_count"])) for b in result[name]["buckets"]] for name in names}

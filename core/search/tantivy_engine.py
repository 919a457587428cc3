"""SearchEngine on an embedded tantivy index: one writer process, readers that follow swaps.

The index is split into shards by document id, searched side by side in threads (tantivy releases the
GIL) and merged, as Elasticsearch searches its shards: a query over a million documents then takes about
half as long on two cores.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import tantivy

from core.errors import Upstream
from core.search.engine import RebuildHandle
from core.search.models import IndexDoc, SearchRequest, SearchResult
from core.search.tantivy_rebuild import (
    Prepared,
    TantivyRebuild,
    close_writers,
    create_shards,
    open_writers,
    prepare,
    write,
)
from core.search.tantivy_schema import SCHEMA_VERSION, build_schema
from core.search.tantivy_search import ShardSearch
from core.search.tantivy_store import DEFAULT_SHARDS, MAX_SHARDS, GenerationStore, shard_paths

logger = logging.getLogger(__name__)


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
        self._searching = ShardSearch(self._schema)

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        """The live generation, created empty when there is none. An index another schema version built (an
        upgrade) is set aside the same way, and a rebuild from Postgres is owed (`rebuild_owed`): the search
        writer does it before it consumes; searches answer from the empty index meanwhile, not an error."""
        with self._store.locked():
            current = self._store.current()
            if current is None or not self._store.is_current_schema(current):
                name = self._store.new_generation()
                create_shards(self._store.path(name), self._schema, self._shards)
                if current is not None:
                    self._store.owe_rebuild(current)
                    logger.warning(
                        "search index %s has another schema than v%d: an empty index replaces it until the search "
                        "writer has rebuilt it from Postgres",
                        current,
                        SCHEMA_VERSION,
                    )
                self._store.publish(name)
        self._refresh()

    @property
    def rebuild_owed(self) -> bool:
        """An older schema's index was set aside at open: rebuild from Postgres (a finished rebuild clears it)."""
        return self._store.rebuild_owed()

    async def close(self) -> None:
        rebuild, self._rebuild = self._rebuild, None
        if rebuild is not None:
            await rebuild.abort()
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        self._searching.reset()
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
        return self._searching.search([index.searcher() for index in self._refresh().indexes], req)

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

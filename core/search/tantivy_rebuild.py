"""Writing to tantivy, and building a new index generation beside the live one for a zero-downtime swap."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import tantivy

from core.errors import Upstream
from core.search.models import IndexDoc
from core.search.parallel import analyse_all
from core.search.tantivy_schema import to_tantivy
from core.search.tantivy_store import GenerationStore, new_shard_paths, shard_of

logger = logging.getLogger(__name__)

Prepared = list[tuple[str, tantivy.Document]]


def prepare(docs: Sequence[IndexDoc]) -> Prepared:
    """Analyse documents (the slow part) before any lock is taken."""
    return [(doc.id, to_tantivy(doc, analysed)) for doc, analysed in zip(docs, analyse_all(docs), strict=True)]


def write(writers: Sequence[tantivy.IndexWriter], upserts: Prepared, deletes: Sequence[str]) -> None:
    """Apply deletes and upserts by id, each in the shard its id belongs to, then commit each shard
    changed once. A failure leaves the shards committed before it committed: writes are idempotent, so
    the caller's retry of the whole batch completes it."""
    work: dict[int, tuple[Prepared, list[str]]] = {}
    for doc_id in deletes:
        work.setdefault(shard_of(doc_id, len(writers)), ([], []))[1].append(doc_id)
    for doc_id, doc in upserts:
        work.setdefault(shard_of(doc_id, len(writers)), ([], []))[0].append((doc_id, doc))
    for shard in sorted(work):
        writer, (shard_upserts, shard_deletes) = writers[shard], work[shard]
        try:
            for doc_id in shard_deletes:
                writer.delete_documents_by_term("id", doc_id)
            for doc_id, doc in shard_upserts:
                # delete-then-add in one commit: tantivy applies a delete only to documents added before it
                writer.delete_documents_by_term("id", doc_id)
                writer.add_document(doc)
            writer.commit()
        except Exception as exc:
            writer.rollback()
            raise Upstream(f"search index write failed: {exc}") from exc


def open_writers(indexes: Sequence[tantivy.Index], heap_bytes: int) -> list[tantivy.IndexWriter]:
    """One writer per shard, or none: a shard locked by another writer releases those already taken."""
    writers: list[tantivy.IndexWriter] = []
    try:
        for index in indexes:
            writers.append(index.writer(heap_size=heap_bytes, num_threads=1))
    except ValueError as exc:
        close_writers(writers, rollback=True)
        raise Upstream(f"search index is locked by another writer: {exc}") from exc
    return writers


def close_writers(writers: Sequence[tantivy.IndexWriter], *, rollback: bool) -> None:
    """Wait for merges and release the directory locks (tantivy consumes a writer doing so)."""
    for writer in writers:
        try:
            if rollback:
                writer.rollback()
            writer.wait_merging_threads()
        except Exception:
            logger.exception("search index writer did not close cleanly")


def create_shards(generation: Path, schema: tantivy.Schema, shards: int) -> list[tantivy.Index]:
    return [tantivy.Index(schema, path=str(path)) for path in new_shard_paths(generation, shards)]


class TantivyRebuild:
    """A new generation filled beside the live one, made live by atomically replacing `CURRENT`."""

    def __init__(
        self,
        store: GenerationStore,
        schema: tantivy.Schema,
        *,
        heap_bytes: int,
        shards: int,
        live_write_lock: threading.Lock,
        on_done: Callable[[TantivyRebuild], None],
    ) -> None:
        self._store = store
        self._live_write_lock = live_write_lock
        self._on_done = on_done
        with store.locked():
            self.name = store.new_generation()
        try:
            self._writers: list[tantivy.IndexWriter] | None = open_writers(
                create_shards(store.path(self.name), schema, shards), heap_bytes
            )
        except Exception:
            store.discard(self.name)
            raise
        self._lock = threading.Lock()

    def apply(self, upserts: Prepared, deletes: Sequence[str]) -> None:
        with self._lock:
            if self._writers is None:
                raise Upstream("this search index rebuild is already finished")
            write(self._writers, upserts, deletes)

    async def upsert(self, docs: Sequence[IndexDoc]) -> None:
        if docs:
            await asyncio.to_thread(lambda: self.apply(prepare(docs), ()))

    async def commit_and_swap(self) -> None:
        await asyncio.to_thread(self._swap)

    async def abort(self) -> None:
        await asyncio.to_thread(self._abort)

    def _finish_writer(self, *, rollback: bool) -> None:
        with self._lock:
            writers, self._writers = self._writers, None
        if writers is not None:
            close_writers(writers, rollback=rollback)

    def _swap(self) -> None:
        # Holding the live write lock: no live write can land in the old generation after the switch.
        with self._live_write_lock:
            self._finish_writer(rollback=False)
            with self._store.locked():
                previous = self._store.current()
                self._store.publish(self.name)
                self._store.rebuild_done()
                self._store.prune({self.name} | ({previous} if previous else set()))
            self._on_done(self)
        logger.info("search index generation %s is live (was %s)", self.name, previous)

    def _abort(self) -> None:
        with self._live_write_lock:
            self._finish_writer(rollback=True)
            self._store.discard(self.name)
            self._on_done(self)

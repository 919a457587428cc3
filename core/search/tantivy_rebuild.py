"""Writing to tantivy, and building a new index generation beside the live one for a zero-downtime swap."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence

import tantivy

from core.errors import Upstream
from core.search.models import IndexDoc
from core.search.parallel import analyse_all
from core.search.tantivy_schema import to_tantivy
from core.search.tantivy_store import GenerationStore

logger = logging.getLogger(__name__)

Prepared = list[tuple[str, tantivy.Document]]


def prepare(docs: Sequence[IndexDoc]) -> Prepared:
    """Analyse documents (the slow part) before any lock is taken."""
    return [(doc.id, to_tantivy(doc, analysed)) for doc, analysed in zip(docs, analyse_all(docs), strict=True)]


def write(writer: tantivy.IndexWriter, upserts: Prepared, deletes: Sequence[str]) -> None:
    """Apply deletes and upserts by id, then commit once."""
    try:
        for doc_id in deletes:
            writer.delete_documents_by_term("id", doc_id)
        for doc_id, doc in upserts:
            # delete-then-add in one commit: tantivy applies a delete only to documents added before it
            writer.delete_documents_by_term("id", doc_id)
            writer.add_document(doc)
        writer.commit()
    except Exception as exc:
        writer.rollback()
        raise Upstream(f"search index write failed: {exc}") from exc


class TantivyRebuild:
    """A new generation filled beside the live one, made live by atomically replacing `CURRENT`."""

    def __init__(
        self,
        store: GenerationStore,
        schema: tantivy.Schema,
        *,
        heap_bytes: int,
        live_write_lock: threading.Lock,
        on_done: Callable[[TantivyRebuild], None],
    ) -> None:
        self._store = store
        self._live_write_lock = live_write_lock
        self._on_done = on_done
        with store.locked():
            self.name = store.new_generation()
        index = tantivy.Index(schema, path=str(store.path(self.name)))
        self._writer: tantivy.IndexWriter | None = index.writer(heap_size=heap_bytes, num_threads=1)
        self._lock = threading.Lock()

    def apply(self, upserts: Prepared, deletes: Sequence[str]) -> None:
        with self._lock:
            if self._writer is None:
                raise Upstream("this search index rebuild is already finished")
            write(self._writer, upserts, deletes)

    async def upsert(self, docs: Sequence[IndexDoc]) -> None:
        if docs:
            await asyncio.to_thread(lambda: self.apply(prepare(docs), ()))

    async def commit_and_swap(self) -> None:
        await asyncio.to_thread(self._swap)

    async def abort(self) -> None:
        await asyncio.to_thread(self._abort)

    def _finish_writer(self, *, rollback: bool) -> None:
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            if rollback:
                writer.rollback()
            writer.wait_merging_threads()  # finishes merges and releases the directory lock

    def _swap(self) -> None:
        # Holding the live write lock: no live write can land in the old generation after the switch.
        with self._live_write_lock:
            self._finish_writer(rollback=False)
            with self._store.locked():
                previous = self._store.current()
                self._store.publish(self.name)
                self._store.prune({self.name} | ({previous} if previous else set()))
            self._on_done(self)
        logger.info("search index generation %s is live (was %s)", self.name, previous)

    def _abort(self) -> None:
        with self._live_write_lock:
            self._finish_writer(rollback=True)
            self._store.discard(self.name)
            self._on_done(self)

"""Keeping the policy library in step with the documents: one call per changed document, idempotent."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import asyncpg

from core.documents import Document
from core.policy import store
from core.policy.derive import derive
from core.policy.interpretations import apply_explainer, apply_explainers
from core.policy.lineage import replace_refs
from core.policy.links import explaining
from core.policy.themes import Example, ThemeModel
from core.policy.topics import match_policy
from core.policy.versions import replaced_refs

log = logging.getLogger(__name__)
RETRAIN_GROWTH = 0.1  # retrain when the labelled pages grew (or shrank) by a tenth
RETRAIN_MIN_S = 300.0


class ThemeClassifier:
    """A theme model trained at run time from the policy pages in Postgres that carry their own 主题分类."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._model: ThemeModel | None = None
        self._trained_at = 0.0
        self._lock = asyncio.Lock()

    async def model(self) -> ThemeModel | None:
        """The current model, retrained when the labelled pages changed enough; None when there are none."""
        async with self._lock:
            count = await store.labelled_count(self._pool)
            stale = self._model is None or (
                abs(count - self._model.labelled) > RETRAIN_GROWTH * max(self._model.labelled, 10)
                and time.monotonic() - self._trained_at > RETRAIN_MIN_S
            )
            if count and stale:
                rows = await store.labelled_pages(self._pool)
                examples = [Example(r["title"], r["text"], r["theme"]) for r in rows]
                # Segmenting a few thousand pages takes seconds: off the event loop.
                self._model = await asyncio.to_thread(ThemeModel.train, examples)
                self._trained_at = time.monotonic()
                log.info("theme model trained", extra={"labelled": len(examples)})
        return self._model

    async def predict(self, title: str, text: str) -> str | None:
        model = await self.model()
        if model is None:
            return None
        found = await asyncio.to_thread(model.predict, title, text)
        return found.label if found else None


async def apply_documents(pool: asyncpg.Pool, docs: Sequence[Document], classifier: ThemeClassifier) -> dict[str, str]:
    """Make the library match these documents' current rows; what it did to each (for logs and tests).

    The pages that are not policies (nearly all: disclosure items, news, datasets) go together, in one
    transaction of set-based statements; each policy goes as `apply_document` takes it."""
    others = [d for d in docs if _not_a_policy(d)]
    outcomes = await _apply_others(pool, others) if others else {}
    for doc in docs:
        if doc.id not in outcomes:
            outcomes[doc.id] = await apply_document(pool, doc, classifier)
    return outcomes


def _not_a_policy(doc: Document) -> bool:
    return doc.gone or doc.kind != "policy"


async def _apply_others(pool: asyncpg.Pool, docs: Sequence[Document]) -> dict[str, str]:
    """Pages gone or not policies: out of the library, their mentions and section places as they say now."""
    found = {d.id: None if d.gone else explaining(d.title, d.text, d.column, d.kind, url=d.url) for d in docs}
    async with pool.acquire() as conn, conn.transaction():
        await store.delete_policies(conn, list(found))
        await store.replace_mentions_of(conn, found)
        in_section = await apply_explainers(conn, docs)
    return {d.id: "gone" if d.gone else ("explaining" if found[d.id] or in_section[d.id] else "other") for d in docs}


async def apply_document(pool: asyncpg.Pool, doc: Document, classifier: ThemeClassifier) -> str:
    """Make the library match one document's current row; returns what it did (for logs and tests)."""
    if _not_a_policy(doc):
        return (await _apply_others(pool, [doc]))[doc.id]
    rec = await asyncio.to_thread(derive, doc)
    theme, source = rec.theme, "page"
    if theme is None:
        theme, source = await classifier.predict(doc.title, doc.text), "predicted"
    refs = replaced_refs(doc.title, doc.text, (*rec.names, *(d.normalized for d in rec.doc_nos)))
    async with pool.acquire() as conn, conn.transaction():
        await store.replace_mentions(conn, doc.id, None)
        await apply_explainer(conn, doc)  # a page that became a policy leaves its section
        changed = await store.upsert_policy(conn, rec, theme=theme, source=source)
        # cheap, and so filled for records stored before topics and refs existed
        await match_policy(conn, doc.id)
        await replace_refs(conn, doc.id, refs)
    return "policy" if changed else "unchanged"

"""The policy-library consumer: every DocumentChanged keeps the policy library and extracted Q&A pairs in step."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg

from core.bus import Bus, Consumer, DocumentChanged
from core.documents import Document, get_documents
from core.documents.reprojections import DRAIN_LIMIT, drain_reprojections
from core.policy import ThemeClassifier, apply_documents
from core.policy.links import explaining
from core.policy.transcripts import is_transcript, split_transcript
from core.qa import store as qa_store
from core.qa.graph import store as graph_store
from core.qa.guides import guide_pairs
from core.qa.models import MAX_ANSWER, MAX_QUESTION, Basis, QaPair

log = logging.getLogger(__name__)


def transcript_pairs(doc: Document) -> list[QaPair]:
    """The exchanges of a press conference or 答记者问 page, each citing the page."""
    basis = Basis(doc.url, doc.title[:300], "transcript")
    return [
        QaPair(
            id=f"transcript-{doc.id}-{i + 1}",
            question=ex.question[:MAX_QUESTION],
            answer=ex.answer[:MAX_ANSWER],
            basis=basis,
            tags=(ex.speaker,) if ex.speaker else (),
            status="active",
            source="transcript",
        )
        for i, ex in enumerate(split_transcript(doc.text))
    ]


def extracted_pairs(doc: Document) -> list[QaPair] | None:
    """Pairs this consumer owns for a document; None when it owns none (its other pairs are left alone)."""
    if doc.gone:
        return []
    if doc.kind == "service":
        return guide_pairs(document_id=doc.id, url=doc.url, title=doc.title, text=doc.text)
    if explaining(doc.title, doc.text, doc.column, doc.kind, url=doc.url) is not None or doc.kind == "interpretation":
        return transcript_pairs(doc) if is_transcript(doc.title, doc.text) else []
    return None


class PolicyLibrary(Consumer[DocumentChanged]):
    """Derives policy records, reprint clusters and links from documents, and Q&A pairs from guides and
    transcripts (through core.qa's store: a feature-to-feature step, so it lives here and not in core)."""

    name = "policy-library"
    event_types = (DocumentChanged,)
    stream = "YW_DOC"

    def __init__(self, pool: asyncpg.Pool, bus: Bus) -> None:
        self.pool = pool
        self.bus = bus
        self.classifier = ThemeClassifier(pool)

    async def handle(self, batch: Sequence[DocumentChanged]) -> None:
        # The event only names the document: its current row decides, so redelivered or out-of-order
        # events converge on what Postgres holds now.
        ids = list(dict.fromkeys(ev.document_id for ev in batch))
        found = await get_documents(self.pool, ids)
        # a document deleted outright is skipped: the cascade already removed what hangs on it
        docs = [found[i] for i in ids if i in found]
        # the pages that are not policies (a disclosure import's thousands) share one commit, each step a few
        # statements for the whole batch; a failure anywhere has JetStream redeliver it, and every step is idempotent
        outcomes = await apply_documents(self.pool, docs, self.classifier)
        await self._qa(docs)
        await self._graph(docs)
        for doc_id, outcome in outcomes.items():
            log.debug("policy library applied", extra={"document_id": doc_id, "outcome": outcome})
        # After commit: documents whose reprint cluster changed are announced again so the search
        # projection redoes their hits (requests left by a crash before publishing go out now too).
        while await drain_reprojections(self.pool, self.bus) == DRAIN_LIMIT:
            pass

    async def _graph(self, docs: Sequence[Document]) -> None:
        # the service graph's part of a guide is replaced whole; an unchanged guide changes nothing
        guides = [d for d in docs if d.kind == "service" or d.gone]
        if guides:
            async with self.pool.acquire() as conn, conn.transaction():
                for doc in guides:
                    await graph_store.apply_guide(
                        conn, document_id=doc.id, url=doc.url, title=doc.title, text=doc.text, live=not doc.gone
                    )
        for doc in docs:  # the guides citing a policy follow: linked once it arrives, unlinked when it goes
            if doc.kind == "policy":
                await graph_store.apply_policy(self.pool, document_id=doc.id, title=doc.title)

    async def _qa(self, docs: Sequence[Document]) -> None:
        owned = [(doc, pairs) for doc in docs if (pairs := extracted_pairs(doc)) is not None]
        if not owned:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            for doc, pairs in owned:
                if pairs:
                    await qa_store.upsert_pairs(conn, pairs, document_id=doc.id)
                await qa_store.retire_pairs_of_document(conn, doc.id, [p.id for p in pairs])

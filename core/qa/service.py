"""The Q&A service a process holds: the knowledge base kept in step with Postgres, sessions, admin changes."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import asyncpg

from core.errors import Invalid, NotFound
from core.qa import store
from core.qa.answerer import KnowledgeBase
from core.qa.models import Basis, Link, QaPair, Reply, check_pair
from core.search import SearchEngine, SearchRequest

log = logging.getLogger(__name__)
SearchFallback = Callable[[str], Awaitable[Sequence[Link]]]
SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
FALLBACK_RESULTS = 3


def engine_fallback(engine: SearchEngine) -> SearchFallback:
    """Top search results for a question nothing in the knowledge base answers."""

    async def search(question: str) -> Sequence[Link]:
        result = await engine.search(SearchRequest(query=question, limit=FALLBACK_RESULTS, highlight=False))
        return [Link(hit.title, hit.url) for hit in result.hits]

    return search


class QaService:
    """Answers questions from the stored pairs; every ask first picks up changes made by any process."""

    def __init__(self, pool: asyncpg.Pool, *, kb: KnowledgeBase | None = None, search: SearchFallback | None = None):
        self._pool = pool
        self.kb = kb or KnowledgeBase()
        self._search = search
        self._lock = asyncio.Lock()

    async def refresh(self) -> int:
        """Load pairs changed since the last refresh (one cheap query when nothing changed); the version."""
        if await store.current_version(self._pool) <= self.kb.version:
            return self.kb.version
        async with self._lock:
            pairs, version = await store.changed_since(self._pool, self.kb.version)
            if version > self.kb.version:
                # Indexing thousands of pairs takes seconds: keep the event loop free meanwhile.
                await asyncio.to_thread(self.kb.load, pairs, version)
        return self.kb.version

    async def warm(self) -> None:
        """Load the pairs and answer one question unrecorded, so that the first citizen's ask does not wait for
        the knowledge base to be built or the segmenter's dictionary and pinyin tables to load."""
        await self.refresh()
        await asyncio.to_thread(self.kb.reply, "社保卡怎么办理")

    async def ask(self, question: str, session_id: str | None = None) -> Reply:
        """The reply to a question; a session id (any client-chosen token) carries follow-up context."""
        if session_id is not None and not SESSION_ID.match(session_id):
            raise Invalid("sessionId must be 1-128 letters, digits or _.:-")
        await self.refresh()
        context = await store.load_context(self._pool, session_id) if session_id else None
        reply = self.kb.reply(question or "", context)
        if reply.kind == "fallback" and self._search is not None:
            reply = await self._with_results(reply, question)
        if session_id and context != reply.context:
            await store.save_context(self._pool, session_id, reply.context)
        return reply

    async def _with_results(self, reply: Reply, question: str) -> Reply:
        assert self._search is not None
        try:
            results = tuple((await asyncio.wait_for(self._search(question[:200]), 2.0))[:FALLBACK_RESULTS])
        except Exception:  # the fallback must never fail the answer: the hotline is still given
            log.warning("search fallback failed", exc_info=True)
            return reply
        return replace(reply, results=results)

    async def save(self, pair: QaPair) -> QaPair:
        """Add or replace a pair (admin); live for every process's next ask."""
        check_pair(id=pair.id, question=pair.question, answer=pair.answer, tags=pair.tags, basis=pair.basis)
        async with self._pool.acquire() as conn, conn.transaction():
            await store.upsert_pairs(conn, [pair])
        await self.refresh()
        return await store.get_pair(self._pool, pair.id)

    async def add(
        self, *, question: str, answer: str, basis: Basis | None = None, tags: Sequence[str] = (), id: str | None = None
    ) -> QaPair:
        pair_id = id or f"qa-{uuid.uuid4().hex[:12]}"
        try:
            await store.get_pair(self._pool, pair_id)
        except NotFound:
            return await self.save(
                QaPair(id=pair_id, question=question, answer=answer, basis=basis or Basis(), tags=tuple(tags))
            )
        raise Invalid(f"a Q&A pair with id {pair_id!r} already exists; edit it instead")

    async def edit(
        self,
        qa_id: str,
        *,
        question: str | None = None,
        answer: str | None = None,
        basis: Basis | None = None,
        tags: Sequence[str] | None = None,
    ) -> QaPair:
        old = await store.get_pair(self._pool, qa_id)
        return await self.save(
            QaPair(
                id=qa_id,
                question=question if question is not None else old.question,
                answer=answer if answer is not None else old.answer,
                basis=basis or old.basis,
                tags=tuple(tags) if tags is not None else old.tags,
                status=old.status,
                source=old.source,
            )
        )

    async def retire(self, qa_id: str) -> QaPair:
        old = await store.get_pair(self._pool, qa_id)
        return await self.save(
            QaPair(
                id=qa_id,
                question=old.question,
                answer=old.answer,
                basis=old.basis,
                tags=old.tags,
                status="retired",
                source=old.source,
            )
        )

    async def get(self, qa_id: str) -> QaPair:
        return await store.get_pair(self._pool, qa_id)

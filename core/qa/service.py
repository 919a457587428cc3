"""The Q&A service a process holds: the knowledge base kept in step with Postgres, sessions, admin changes."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import asyncpg

from core.errors import Conflict, Invalid, NotFound
from core.heap import keep_built
from core.lookups.models import PersonalAnswer
from core.lookups.service import PersonalLookups, Who
from core.qa import store
from core.qa.answerer import KnowledgeBase
from core.qa.graph.service import GraphAnswerer
from core.qa.models import HOTLINE, Basis, Link, QaPair, Reply, SessionContext, check_pair
from core.qa.topics import Topic, TopicIndex, TopicPage
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


async def _anonymous() -> None:
    return None


def personal_reply(answered: PersonalAnswer, context: SessionContext) -> Reply:
    """A personal answer as `ask` replies: the conversation keeps its topic and remembers what was asked of the
    record, so 那医保呢 asks the same of another."""
    return Reply(
        kind=answered.kind,
        text=answered.text,
        hotline=HOTLINE if answered.kind == "unavailable" else None,
        login_url=answered.login_url,
        record=answered.record,
        confidence=1.0 if answered.kind == "personal" else 0.0,
        context=replace(context, turns=context.turns + 1, personal=answered.aspect),
    )


class QaService:
    """Answers questions from the stored pairs; every ask first picks up changes made by any process."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        kb: KnowledgeBase | None = None,
        search: SearchFallback | None = None,
        personal: PersonalLookups | None = None,
    ):
        self._pool = pool
        self.kb = kb if kb is not None else KnowledgeBase()  # an empty one is falsy (len 0)
        self._search = search
        self.graph = GraphAnswerer(pool)  # 材料 / 在哪办 / 依据 / 区别 questions about a known service
        self.personal = personal  # 我的公积金余额 …: answered from the asker's records, not the pairs
        self._topics = TopicIndex()
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
                keep_built("Q&A index")
        return self.kb.version

    async def warm(self) -> None:
        """Load the pairs and answer one question unrecorded, so that the first citizen's ask does not wait for
        the knowledge base to be built or the segmenter's dictionary and pinyin tables to load."""
        await self.refresh()
        await self.graph.refresh()
        await asyncio.to_thread(self.kb.reply, "社保卡怎么办理")

    async def ask(
        self, question: str, session_id: str | None = None, *, who: Who | None = None, client: str = "unknown"
    ) -> Reply:
        """The reply to a question; a session id (any client-chosen token) carries follow-up context. A question
        about the asker's own records is answered from them: `who` says who asks (called only then)."""
        if session_id is not None and not SESSION_ID.match(session_id):
            raise Invalid("sessionId must be 1-128 letters, digits or _.:-")
        context = await store.load_context(self._pool, session_id) if session_id else None
        if self.personal is not None:
            told = context.personal if context else None
            answered = await self.personal.answer(question or "", who=who or _anonymous, client=client, told=told)
            if answered is not None:
                reply = personal_reply(answered, context or SessionContext())
                if session_id:
                    await store.save_context(self._pool, session_id, reply.context)
                return reply
        await self.refresh()
        graph = await self.graph.reply(question or "", context, lambda qa_id: self.kb.get(qa_id) is not None)
        reply = graph or self.kb.reply(question or "", context)
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
        if (twin := await store.same_pair(self._pool, question, answer)) is not None:
            raise Conflict(f"pair {twin} has this question and answer already: edit it instead")  # sent twice
        try:
            held = await store.get_pair(self._pool, pair_id)
        except NotFound:
            held = None
        if held is not None and held.status != "retired":
            raise Conflict(f"a Q&A pair with id {pair_id!r} already exists; edit it instead")
        return await self.save(  # a retired id comes back, answerable again, with what is sent now
            QaPair(id=pair_id, question=question, answer=answer, basis=basis or Basis(), tags=tuple(tags))
        )

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

    async def topics(self) -> list[tuple[Topic, int]]:
        """Every topic with how many active pairs it holds (zero included), in the topics' order."""
        await self._fresh_topics()
        return self._topics.counts()

    async def topic_page(self, topic: str, *, first: int, after: str | None = None) -> TopicPage:
        """Active pairs of a topic (id or name; NOT_FOUND for an unknown one) in id order after a cursor."""
        await self._fresh_topics()
        return self._topics.page(topic, first=first, after=after)

    async def _fresh_topics(self) -> None:
        await self.refresh()
        if self._topics.version != self.kb.version:
            self._topics.rebuild(self.kb.pairs(), self.kb.version)

    async def get(self, qa_id: str) -> QaPair:
        return await store.get_pair(self._pool, qa_id)

"""SearchService: one query understood, run against the engine, fused, grouped into scenes, logged."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from core.bus import Bus, ResultClicked, SearchLogged
from core.clock import Clock, local_date, system_clock
from core.errors import Invalid
from core.search.analysis import normalize_keyword
from core.search.answers import AnswerProvider, default_providers
from core.search.engine import SearchEngine
from core.search.lexicon_cache import LexiconCache
from core.search.merge import document_hit
from core.search.models import MAX_LIMIT, SearchHit, SearchRequest, Sort
from core.search.outcome import Hit, Scene, SearchOutcome, served
from core.search.pipeline import extras_for, has_words, interpret, read_query, related, run_variants, scenes_of
from core.search.projection import shown_docs
from core.search.store import SearchStore
from core.search.suggest import MAX_SUGGEST, Suggestion

log = logging.getLogger(__name__)

TITLE_BUDGET_S = 0.004  # how long suggest waits for titles to fill completions (typing wants < 10 ms)

__all__ = ["Hit", "Scene", "SearchOutcome", "SearchService"]


class SearchService:
    """Search for one process: engine reader, vocabulary caches, pins, synonyms, answers and events."""

    def __init__(
        self,
        engine: SearchEngine,
        *,
        pool: asyncpg.Pool | None = None,
        bus: Bus | None = None,
        max_query_length: int = 500,
        answers: Sequence[AnswerProvider] | None = None,
        refresh_s: float = 60.0,
        title_budget_s: float = TITLE_BUDGET_S,
        clock: Clock = system_clock,
    ) -> None:
        self.engine = engine
        self.pool = pool
        self.bus = bus
        self.max_query_length = max_query_length
        self.answers = list(default_providers() if answers is None else answers)
        self.cache = LexiconCache(engine, pool, refresh_s=refresh_s)
        self.title_budget_s = title_budget_s
        self.clock = clock  # holiday answers speak of Beijing's today; events carry the same clock's time
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        await self.cache.close()
        for task in list(self._tasks):
            await asyncio.gather(task, return_exceptions=True)

    def _background(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def search(
        self,
        query: str,
        *,
        filters: dict[str, list[str]] | None = None,
        page: int = 1,
        page_size: int = 10,
        sort: Sort = "relevance",
        session_id: str | None = None,
        site: str | None = None,
        scenes: bool = True,
        facets: bool = True,
        after: date | None = None,
        before: date | None = None,
    ) -> SearchOutcome:
        """Search; Invalid for what the caller can fix (too long, unknown filter, bad operator or paging).

        Facets and scenes cost a pass over every match each: a caller that shows neither says so.
        """
        started = time.perf_counter()
        if len(query) > self.max_query_length:
            raise Invalid(f"query is too long: at most {self.max_query_length} characters")
        if page < 1 or not 1 <= page_size <= MAX_LIMIT:
            raise Invalid(f"page must be 1 or more and pageSize between 1 and {MAX_LIMIT}")
        asked = read_query(query, filters, site=site, after=after, before=before)
        search_id = uuid.uuid4().hex
        if asked.is_empty:
            return SearchOutcome(search_id=search_id, query=query, hits=[], total=0, page=page, page_size=page_size)
        lex = await self.cache.get()
        meaning = await interpret(self.engine, asked, lex)
        base, offset, text = asked.request(sort), (page - 1) * page_size, asked.parsed.text
        extras = extras_for(facets=facets, scenes=scenes, sort=sort)
        ran = await run_variants(self.engine, base, meaning, offset, page_size, extras)
        pinned = await self._pinned(text, asked.filters) if page == 1 and sort == "relevance" and asked.has_text else []
        hits = served(pinned, ran.hits, offset, page_size)
        outcome = SearchOutcome(
            search_id=search_id,
            query=query,
            hits=hits,
            total=max(ran.total, len(hits)),
            page=page,
            page_size=page_size,
            facets=ran.main.facets if facets else {},
            scenes=await scenes_of(self.engine, base, ran) if scenes else [],
            did_you_mean=meaning.did_you_mean,
            interpreted=next((r.replacement for r in ran.rewrites if r.kind != "traditional"), text),
            rewrites=ran.rewrites,
            related=related(meaning, lex.popular),
            answers=[a for p in self.answers if (a := p.answer(text, today=local_date(self.clock()))) is not None],
            took_ms=(time.perf_counter() - started) * 1000,
        )
        self.cache.count_query(text)
        self._log(outcome, text, site=site, session_id=session_id)
        return outcome

    def _log(self, outcome: SearchOutcome, text: str, *, site: str | None, session_id: str | None) -> None:
        """Publish SearchLogged in the background: the caller does not wait for the bus."""
        if self.bus is None:
            return
        rewritten = outcome.interpreted if outcome.interpreted != text else None
        at = self.clock().isoformat()
        event = SearchLogged(
            outcome.search_id, outcome.query, outcome.total, at, site=site, session_id=session_id, rewritten=rewritten
        )
        self._background(self._publish(event))

    async def _pinned(self, text: str, filters: dict[str, list[str]]) -> list[SearchHit]:
        if self.pool is None or not normalize_keyword(text):
            return []
        ids = await SearchStore(self.pool).pinned_ids(text)
        if not ids:
            return []
        sites = set(filters.get("site", []))
        return [document_hit(d) for d in await shown_docs(self.pool, ids) if not sites or d.site in sites]

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Completions of what is being typed; Invalid for a limit out of range."""
        if not 1 <= limit <= MAX_SUGGEST:
            raise Invalid(f"limit must be between 1 and {MAX_SUGGEST}")
        prefix = prefix.strip()[:50]
        if not has_words(prefix):
            return []
        lex = await self.cache.get()
        out = lex.completer.complete(prefix, limit)
        if len(out) < limit and not prefix.isascii():
            # Titles only fill what queries and terms leave. Their search (a phrase over every title holding
            # the prefix) can take longer than a keystroke allows on a large index: past the budget the
            # completions go without titles (the search finishes in its thread, its answer unused).
            search = self.engine.search(SearchRequest(title_terms=[prefix], limit=limit, highlight=False))
            try:
                result = await asyncio.wait_for(search, self.title_budget_s)
            except TimeoutError:
                return out
            out = lex.completer.complete(prefix, limit, [h.title for h in result.hits])
        return out

    async def record_click(self, search_id: str, document_id: str, position: int, session_id: str | None) -> None:
        """Publish a ResultClicked event; Invalid for ids or positions that cannot be real."""
        if not re.fullmatch(r"[0-9a-f]{32}", search_id):
            raise Invalid("searchId is not an id returned by search")
        if not document_id or len(document_id) > 200:
            raise Invalid("documentId must be 1 to 200 characters")
        if not 1 <= position <= 100_000:
            raise Invalid("position must be between 1 and 100000")
        if self.bus is not None:
            at = self.clock().isoformat()
            await self.bus.publish(ResultClicked(search_id, document_id, position, at, session_id=session_id))

    async def _publish(self, event: SearchLogged) -> None:
        try:
            assert self.bus is not None
            await self.bus.publish(event)
        except Exception:
            log.exception("search event not published", extra={"search_id": event.search_id})

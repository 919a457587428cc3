"""SearchService: one query understood, run against the engine, fused, grouped into scenes, logged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import date

import asyncpg

from core.bus import Bus
from core.clock import Clock, local_date, system_clock
from core.errors import Invalid
from core.search.analysis import normalize_keyword
from core.search.answers import AnswerProvider, InstantAnswer, default_providers
from core.search.engine import SearchEngine
from core.search.events import SearchEvents
from core.search.lexicon_cache import LexiconCache
from core.search.merge import admits, document_hit
from core.search.models import MAX_LIMIT, SearchHit, SearchRequest, Sort
from core.search.outcome import Hit, Scene, SearchOutcome, pin_window, served
from core.search.pipeline import (
    Ran,
    extras_for,
    has_words,
    interpret,
    matched_ids,
    read_query,
    related,
    run_variants,
    scenes_of,
    warm,
)
from core.search.popularity import QueryTally, SuggestPolicy
from core.search.projection import shown_docs
from core.search.signing import Signer
from core.search.store import SearchStore
from core.search.suggest import MAX_PREFIX_CHARS, MAX_SUGGEST, Suggestion
from core.search.title_cache import TitleCache
from core.search.titles import MAX_PER_GROUP, TitleDoc
from core.search.understand import Interpretation
from core.search.weather import WeatherAnswers, weather_answers
from core.settings import Settings
from core.textzh.sensitive import SensitiveFilter

TITLE_BUDGET_S = 0.004  # how long suggest waits for titles to fill completions (typing wants < 10 ms)
TITLE_DOCS = 100_000  # documents kept for document suggestions (SUGGEST_TITLE_DOCS)
MAX_CLICKS = 10  # clicks recorded per search

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
        signer: Signer | None = None,
        policy: SuggestPolicy | None = None,
        sensitive: SensitiveFilter | None = None,
        max_clicks: int = MAX_CLICKS,
        weather: WeatherAnswers | None = None,
        title_docs: int = TITLE_DOCS,
    ) -> None:
        self.engine = engine
        self.pool = pool
        self.bus = bus
        self.max_query_length = max_query_length
        self.answers = list(default_providers() if answers is None else answers)
        self.signer = signer or Signer(None)
        tally = QueryTally(self.signer, sensitive or SensitiveFilter.default())
        self.cache = LexiconCache(engine, pool, tally=tally, policy=policy, refresh_s=refresh_s, clock=clock)
        self.title_budget_s = title_budget_s
        self.clock = clock  # holiday answers speak of Beijing's today; events carry the same clock's time
        self.weather = weather
        self.titles = TitleCache(pool, bus, limit=title_docs) if pool is not None and title_docs > 0 else None
        self.events = SearchEvents(signer=self.signer, pool=pool, bus=bus, clock=clock, max_clicks=max_clicks)

    @classmethod
    def configured(
        cls, engine: SearchEngine, settings: Settings, *, pool: asyncpg.Pool | None, bus: Bus | None, clock: Clock
    ) -> SearchService:
        """The service as the settings configure it (keys, suggestion thresholds, limits)."""
        return cls(
            engine,
            pool=pool,
            bus=bus,
            max_query_length=settings.max_query_length,
            refresh_s=settings.suggest_refresh_s,
            clock=clock,
            signer=Signer(settings.search_id_key),
            policy=SuggestPolicy(min_clients=settings.suggest_min_clients, window_days=settings.suggest_window_days),
            max_clicks=settings.search_max_clicks,
            weather=weather_answers(settings.weather_provider, city=settings.weather_city),
            title_docs=settings.suggest_title_docs,
        )

    async def warm(self) -> None:
        """Build the vocabulary caches and load what searching loads on first use (see pipeline.warm)."""
        await warm(self.engine, await self.cache.get())
        if self.titles is not None:
            self.titles.current()  # built in the background: the API starts without waiting for it

    async def close(self) -> None:
        if self.titles is not None:
            await self.titles.close()
        await self.cache.close()
        await self.events.close()

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
        client: str | None = None,
    ) -> SearchOutcome:
        """Search; Invalid for what the caller can fix (too long, unknown filter, bad operator or paging).

        Facets and scenes cost a pass over every match each: a caller that shows neither says so. `client`
        (the caller's address, opaque here) counts the search towards suggestions once a day.
        """
        started, today = time.perf_counter(), local_date(self.clock())
        if len(query) > self.max_query_length:
            raise Invalid(f"query is too long: at most {self.max_query_length} characters")
        if page < 1 or not 1 <= page_size <= MAX_LIMIT:
            raise Invalid(f"page must be 1 or more and pageSize between 1 and {MAX_LIMIT}")
        asked = read_query(query, filters, site=site, after=after, before=before, today=today)
        if asked.is_empty:
            empty = SearchOutcome(search_id="", query=query, hits=[], total=0, page=page, page_size=page_size)
            return self.events.signed(empty)
        text = asked.parsed.text
        weather = self._weather(text, today)
        lex = await self.cache.get()
        meaning = await interpret(self.engine, asked, lex)
        base, offset = asked.request(sort), (page - 1) * page_size
        extras = extras_for(facets=facets, scenes=scenes, sort=sort)
        pinned = await self._pinned(text, base) if sort == "relevance" and asked.has_text else []
        hits_from, window = pin_window(len(pinned), offset, page_size, MAX_LIMIT)
        ran = await run_variants(self.engine, base, meaning, hits_from, window, extras)
        hits = served(pinned, ran.hits, offset, page_size, hits_from=hits_from)
        outcome = SearchOutcome(
            search_id="",
            query=query,
            hits=hits,
            total=max(ran.total + await self._pins_unmatched(base, meaning, ran, pinned), len(hits)),
            page=page,
            page_size=page_size,
            facets=ran.main.facets if facets else {},
            scenes=await scenes_of(self.engine, base, ran) if scenes else [],
            did_you_mean=meaning.did_you_mean,
            interpreted=next((r.replacement for r in ran.rewrites if r.kind != "traditional"), text),
            rewrites=ran.rewrites,
            related=[r for r in related(meaning, lex.popular) if r not in lex.blocked],
            answers=await self._answers(text, today, weather),
            took_ms=(time.perf_counter() - started) * 1000,
        )
        outcome = self.events.signed(outcome)
        self.cache.count_query(text, client=client, found=outcome.total > 0)
        self.events.logged(outcome, text, site=asked.one_site, session_id=session_id)
        return outcome

    def _weather(self, text: str, today: date) -> asyncio.Future[InstantAnswer | None] | None:
        """The weather answer, asked beside the search: a slow provider costs at most its timeout, a failing
        one only the answer (WeatherAnswers logs it)."""
        if self.weather is None or not self.weather.wants(text):
            return None
        return asyncio.ensure_future(self.weather.answer(text, today=today))

    async def _answers(
        self, text: str, today: date, weather: asyncio.Future[InstantAnswer | None] | None
    ) -> list[InstantAnswer]:
        out = [a for p in self.answers if (a := p.answer(text, today=today)) is not None]
        found = await weather if weather is not None else None
        return out + ([found] if found is not None else [])

    async def _pinned(self, text: str, request: SearchRequest) -> list[SearchHit]:
        """The query's pinned documents that pass the searcher's filters and dates (a pin never breaks them)."""
        if self.pool is None or not normalize_keyword(text):
            return []
        ids = await SearchStore(self.pool).pinned_ids(text)
        if not ids:
            return []
        return [document_hit(d) for d in await shown_docs(self.pool, ids) if admits(request, d)]

    async def _pins_unmatched(
        self, base: SearchRequest, meaning: Interpretation, ran: Ran, pinned: list[SearchHit]
    ) -> int:
        """How many shown pins the engine's count leaves out: pinned documents no variant of the query matches
        (they lead the list all the same), so that the total is what the pages hold."""
        if not pinned:
            return 0
        variants = list(dict.fromkeys([ran.primary, *meaning.variants]))
        matched = await matched_ids(self.engine, base, variants, [h.id for h in pinned], relaxed=ran.main.relaxed)
        return sum(h.id not in matched for h in pinned)

    def unlisted(self, query: str) -> bool:
        """Whether a searched query must not be shown as what the public searches (hot and rising queries): it holds
        a sensitive word, or the web office blocked it, as suggestions and related searches leave it out."""
        return normalize_keyword(query) in self.cache.blocked or not self.cache.tally.acceptable(query)

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Completions of what is being typed; Invalid for a limit out of range."""
        if not 1 <= limit <= MAX_SUGGEST:
            raise Invalid(f"limit must be between 1 and {MAX_SUGGEST}")
        prefix = prefix.strip()[:50]
        if not has_words(prefix):
            return []
        lex = await self.cache.get()
        out = [s for s in lex.completer.complete(prefix, limit) if s.text not in lex.blocked]
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
        return [s for s in out if s.text not in lex.blocked]

    def suggest_documents(self, prefix: str, per_group: int = 3) -> list[tuple[str, str, list[TitleDoc]]]:
        """Documents whose title or one of its words starts with the prefix (hanzi, pinyin or initials), as
        (group key, group name, documents); Invalid for a prefix over MAX_PREFIX_CHARS or a bad group size.
        Empty until the title index is first built (a few seconds after start) and without Postgres."""
        if len(prefix) > MAX_PREFIX_CHARS:
            raise Invalid(f"prefix is too long: at most {MAX_PREFIX_CHARS} characters")
        if not 1 <= per_group <= MAX_PER_GROUP:
            raise Invalid(f"perGroup must be between 1 and {MAX_PER_GROUP}")
        prefix = prefix.strip()
        live = self.titles.current() if self.titles is not None and has_words(prefix) else None
        return live.suggest(prefix, per_group) if live is not None else []

    async def record_click(self, search_id: str, document_id: str, position: int, session_id: str | None) -> None:
        """Publish a ResultClicked event; Invalid for a click the search did not serve (see SearchEvents)."""
        await self.events.record_click(search_id, document_id, position, session_id)

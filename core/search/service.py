"""SearchService: one query understood, run against the engine, fused, grouped into scenes, logged."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from core.bus import Bus, ResultClicked, SearchLogged
from core.errors import Invalid
from core.search.analysis import normalize_keyword
from core.search.answers import AnswerProvider, InstantAnswer, default_providers
from core.search.engine import SearchEngine
from core.search.lexicon_cache import LexiconCache
from core.search.merge import check_filters, document_hit, fuse
from core.search.models import MAX_LIMIT, SearchHit, SearchRequest, SearchResult, Sort
from core.search.query import parse_query
from core.search.suggest import MAX_SUGGEST, Suggestion
from core.search.understand import Interpretation, Rewrite, Variant, understand

log = logging.getLogger(__name__)

FACETS = ["site", "department", "region", "level", "kind", "year", "theme", "audience"]
# (key, name, kinds): the results grouped the way a portal shows them.
SCENES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("service", "办事服务", ("service",)),
    ("policy", "政策文件", ("policy",)),
    ("interpretation", "政策解读", ("interpretation",)),
    ("news", "新闻动态", ("news", "notice", "article")),
    ("qa", "互动问答", ("qa",)),
    ("dataset", "开放数据", ("dataset",)),
)
SCENE_HITS = 3
TITLE_BUDGET_S = 0.004  # how long suggest waits for titles to fill completions (typing wants < 10 ms)
LITTLE = 3  # an original query with fewer matches than this "finds little": a correction replaces it
_HAS_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Hit:
    """A result as served: the engine's hit, whether an admin pinned it, its 1-based position."""

    hit: SearchHit
    pinned: bool
    position: int


@dataclass(frozen=True)
class Scene:
    """One group of results (办事服务, 政策文件, …) with its count and best hits."""

    key: str
    name: str
    count: int
    hits: list[Hit]


@dataclass
class SearchOutcome:
    """Everything a search returns to its caller."""

    search_id: str
    query: str
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    scenes: list[Scene] = field(default_factory=list)
    did_you_mean: str | None = None
    interpreted: str = ""
    rewrites: list[Rewrite] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    answers: list[InstantAnswer] = field(default_factory=list)
    took_ms: float = 0.0


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
    ) -> None:
        self.engine = engine
        self.pool = pool
        self.bus = bus
        self.max_query_length = max_query_length
        self.answers = list(default_providers() if answers is None else answers)
        self.cache = LexiconCache(engine, pool, refresh_s=refresh_s)
        self.title_budget_s = title_budget_s
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
        self, query: str, *, filters: dict[str, list[str]] | None = None, page: int = 1, page_size: int = 10,
        sort: Sort = "relevance", session_id: str | None = None, site: str | None = None, scenes: bool = True,
        facets: bool = True, after: date | None = None, before: date | None = None,
    ) -> SearchOutcome:  # fmt: skip
        """Search; Invalid for what the caller can fix (too long, unknown filter, bad operator or paging).

        Facets and scenes cost a pass over every match each: a caller that shows neither says so.
        """
        started = time.perf_counter()
        if len(query) > self.max_query_length:
            raise Invalid(f"query is too long: at most {self.max_query_length} characters")
        if page < 1 or not 1 <= page_size <= MAX_LIMIT:
            raise Invalid(f"page must be 1 or more and pageSize between 1 and {MAX_LIMIT}")
        checked = check_filters(dict(filters or {}))
        if site:
            checked["site"] = [site]
        parsed = parse_query(query)
        parsed.after, parsed.before = parsed.after or after, parsed.before or before
        for name, values in (("site", parsed.sites), ("kind", parsed.kinds)):
            if values:
                checked[name] = values
        search_id = uuid.uuid4().hex
        has_text = bool(_HAS_WORD.search(parsed.text))
        if not has_text and not parsed.has_constraints and not checked:
            # empty or punctuation only: nothing to look for (an empty query with filters browses them)
            return SearchOutcome(search_id, query, [], 0, page, page_size, interpreted="")
        lex = await self.cache.get()
        meaning = (
            understand(parsed.text, lex.lexicon, lex.synonyms, lex.queries) if has_text else Interpretation(query, [])
        )
        await self._keep_attested(meaning)
        if parsed.doc_no:
            meaning.variants.insert(0, Variant("", 10.0, parsed.doc_no, Rewrite("doc_no", query, parsed.doc_no)))
        if not meaning.variants:
            meaning.variants.append(Variant("", 1.0))
        base = SearchRequest(
            filters=checked, published_after=parsed.after, published_before=parsed.before,
            must_phrases=parsed.phrases, exclude_terms=parsed.excludes, title_terms=parsed.titles, sort=sort,
        )  # fmt: skip
        offset = (page - 1) * page_size
        extras: dict[str, object] = {"facets": FACETS if facets else ["kind"] if scenes else []}  # scenes: by kind
        if scenes and sort == "relevance":  # groups are of the relevance ranking
            extras.update(group_by="kind", group_size=SCENE_HITS)
        hits, total, main, primary = await self._run(base, meaning, offset, page_size, extras)
        pinned = await self._pinned(parsed.text, checked) if page == 1 and sort == "relevance" and has_text else []
        pinned_ids = {h.id for h in pinned}
        served = [Hit(h, True, 0) for h in pinned] + [Hit(h, False, 0) for h in hits if h.id not in pinned_ids]
        served = [replace(h, position=offset + i) for i, h in enumerate(served[:page_size], 1)]
        scene_list = await self._scenes(base, primary, main) if scenes else []
        answers = [a for p in self.answers if (a := p.answer(parsed.text, today=date.today())) is not None]
        interpreted = next((r.replacement for r in meaning.rewrites if r.kind != "traditional"), parsed.text)
        outcome = SearchOutcome(
            search_id, query, served, max(total, len(served)), page, page_size,
            main.facets if facets else {}, scene_list,
            meaning.did_you_mean, interpreted, meaning.rewrites, self._related(meaning, lex.popular), answers,
        )  # fmt: skip
        outcome.took_ms = (time.perf_counter() - started) * 1000
        self.cache.count_query(parsed.text)
        if self.bus is not None:
            rewritten = interpreted if interpreted != parsed.text else None
            event = SearchLogged(search_id, query, outcome.total, datetime.now(UTC).isoformat(), site=site,
                                 session_id=session_id, rewritten=rewritten)  # fmt: skip
            self._background(self._publish(event))
        return outcome

    async def _keep_attested(self, meaning: Interpretation) -> None:
        """Pinyin candidates made of several words must occur as written somewhere (长期号楼保险 never does)."""
        pinyin = [v for v in meaning.variants if v.rewrite is not None and v.rewrite.kind == "pinyin"]
        if len(pinyin) < 2:
            return
        counts = await asyncio.gather(
            *(self.engine.search(SearchRequest(must_phrases=[v.query], limit=0, highlight=False)) for v in pinyin)
        )
        attested = [v for v, c in zip(pinyin, counts, strict=True) if c.total > 0] or pinyin[:1]
        top = 2.0 if attested[0] is pinyin[0] else 1.0
        kept = [replace(v, weight=top if i == 0 else max(0.3, top * (1 - 0.2 * i))) for i, v in enumerate(attested)]
        meaning.variants = kept + [v for v in meaning.variants if v not in pinyin]
        meaning.rewrites = [r for r in meaning.rewrites if r.kind != "pinyin"] + [kept[0].rewrite]  # type: ignore[list-item]
        meaning.related = [v.query for v in kept[1:]] + [
            r for r in meaning.related if r not in {v.query for v in pinyin}
        ]

    async def _run(
        self, base: SearchRequest, meaning: Interpretation, offset: int, limit: int, extras: dict[str, object]
    ) -> tuple[list[SearchHit], int, SearchResult, Variant]:
        """Hits of the page, total, the primary variant's result (facets and groups: `extras` ask for them)
        and that variant, fusing variants on early pages."""
        primary = meaning.primary
        variants = list(meaning.variants) + ([meaning.correction] if meaning.correction else [])
        window = offset + limit
        if len(variants) == 1 or window > MAX_LIMIT:
            result = await self.engine.search(self._request(base, primary, offset, limit, **extras))
            return result.hits, result.total, result, primary
        results = await asyncio.gather(
            *(
                self.engine.search(self._request(base, v, 0, window, **(extras if v is primary else {})))
                for v in variants
            )
        )
        by_variant = list(zip(variants, results, strict=True))
        main = results[variants.index(primary)]
        if meaning.correction is not None:
            corrected = results[-1]
            weak = main.total < LITTLE and corrected.total > main.total
            if weak or meaning.correction.weight >= 1.5:
                assert meaning.correction.rewrite is not None
                meaning.rewrites.append(meaning.correction.rewrite)
                if weak:
                    by_variant[-1] = (replace(meaning.correction, weight=3.0), corrected)
                    primary, main = meaning.correction, corrected
                    main = await self.engine.search(self._request(base, primary, 0, window, **extras))
            else:
                by_variant = by_variant[:-1]
        total = max(r.total for _, r in by_variant)
        return fuse(by_variant)[offset:window], total, main, primary

    @staticmethod
    def _request(base: SearchRequest, v: Variant, offset: int, limit: int, **extras: Any) -> SearchRequest:
        return replace(base, query=v.query, doc_no=v.doc_no or base.doc_no, offset=offset, limit=limit, **extras)

    async def _scenes(self, base: SearchRequest, primary: Variant, main: SearchResult) -> list[Scene]:
        """Each scene's count (from the kind facet) and best hits: the best of its kinds among the ranked
        window of the main search when there are enough there, else a search of those kinds alone."""
        counts = dict(main.facets.get("kind", []))
        picked: dict[str, list[SearchHit]] = {}
        missing = []
        for key, _, kinds in SCENES:
            count = sum(counts.get(k, 0) for k in kinds)
            grouped = [h for _, h in sorted(g for k in kinds for g in main.groups.get(k, []))]
            if len(grouped) >= min(SCENE_HITS, count):
                picked[key] = grouped[:SCENE_HITS]
            else:
                missing.append((key, kinds))
        found = await asyncio.gather(*(
            self.engine.search(replace(self._request(base, primary, 0, SCENE_HITS),
                                       filters={**base.filters, "kind": list(kinds)}))
            for _, kinds in missing
        ))  # fmt: skip
        picked.update((key, result.hits) for (key, _), result in zip(missing, found, strict=True))
        return [
            Scene(
                key,
                name,
                sum(counts.get(k, 0) for k in kinds),
                [Hit(h, False, i) for i, h in enumerate(picked[key], 1)],
            )
            for key, name, kinds in SCENES
        ]

    async def _pinned(self, text: str, filters: dict[str, list[str]]) -> list[SearchHit]:
        if self.pool is None or not normalize_keyword(text):
            return []
        from core.search.projection import shown_docs
        from core.search.store import SearchStore

        ids = await SearchStore(self.pool).pinned_ids(text)
        if not ids:
            return []
        sites = set(filters.get("site", []))
        return [document_hit(d) for d in await shown_docs(self.pool, ids) if not sites or d.site in sites]

    @staticmethod
    def _related(meaning: Interpretation, popular: Sequence[tuple[str, int]]) -> list[str]:
        q = normalize_keyword(meaning.original)
        out = list(meaning.related)
        if q:
            out += [p for p, _ in popular if q in p and p != q][:5]
        if meaning.did_you_mean:
            out.append(meaning.did_you_mean)
        return [r for r in dict.fromkeys(out) if r != q][:8]

    async def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        """Completions of what is being typed; Invalid for a limit out of range."""
        if not 1 <= limit <= MAX_SUGGEST:
            raise Invalid(f"limit must be between 1 and {MAX_SUGGEST}")
        prefix = prefix.strip()[:50]
        if not _HAS_WORD.search(prefix):
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
            at = datetime.now(UTC).isoformat()
            await self.bus.publish(ResultClicked(search_id, document_id, position, at, session_id=session_id))

    async def _publish(self, event: SearchLogged) -> None:
        try:
            assert self.bus is not None
            await self.bus.publish(event)
        except Exception:
            log.exception("search event not published", extra={"search_id": event.search_id})

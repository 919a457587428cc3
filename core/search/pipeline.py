"""The steps of one search: the query read, its variants attested, run, corrected and fused, scenes filled."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from core.clock import local_date, system_clock
from core.search.analysis import normalize_keyword
from core.search.engine import SearchEngine
from core.search.lexicon_cache import Snapshot
from core.search.merge import check_filters, fuse
from core.search.models import MAX_LIMIT, SearchHit, SearchRequest, SearchResult, Sort
from core.search.outcome import Hit, Scene
from core.search.query import ParsedQuery, check_dates, check_year, parse_query
from core.search.understand import Interpretation, Rewrite, Variant, synonyms_of_reading, understand
from core.textzh.analyzer import get_analyzer

FACETS = ["site", "department", "region", "level", "kind", "year", "theme", "audience", "format"]
# (key, name, kinds): the results grouped the way a portal shows them.
SCENES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("service", "办事服务", ("service",)),
    ("policy", "政策文件", ("policy",)),
    ("interpretation", "政策解读", ("interpretation",)),
    ("news", "新闻动态", ("news", "notice", "article")),
    ("qa", "互动问答", ("qa",)),
    ("dataset", "开放数据", ("dataset",)),
    ("disclosure", "基层公开", ("disclosure",)),  # items of the four-level units (core/disclosure, issue 15)
)
SCENE_HITS = 3
LITTLE = 3  # an original query with fewer matches than this "finds little": a correction replaces it
_HAS_WORD = re.compile(r"[^\W_]")


def has_words(text: str) -> bool:
    """True when the text holds a letter or digit of any script (not only punctuation or spaces)."""
    return _HAS_WORD.search(text) is not None


@dataclass(frozen=True, kw_only=True)
class Asked:
    """A query read: as typed, its operators parsed, the filters they and the caller set, whether it has words."""

    query: str
    parsed: ParsedQuery
    filters: dict[str, list[str]]
    has_text: bool

    @property
    def one_site(self) -> str | None:
        """The one site the search is confined to (a `site` filter or operator, or the caller's), whose analytics
        count it; a search of several sites or of all counts for the group."""
        sites = self.filters.get("site", [])
        return sites[0] if len(sites) == 1 else None

    @property
    def is_empty(self) -> bool:
        """Empty or punctuation only, without constraints: nothing to look for (filters alone browse them)."""
        return not self.has_text and not self.parsed.has_constraints and not self.filters

    def request(self, sort: Sort) -> SearchRequest:
        """The request every variant of this query shares."""
        p = self.parsed
        return SearchRequest(
            filters=self.filters,
            published_after=p.after,
            published_before=p.before,
            must_phrases=p.phrases,
            exclude_terms=p.excludes,
            title_terms=p.titles,
            sort=sort,
        )


def read_query(
    query: str,
    filters: dict[str, list[str]] | None,
    *,
    site: str | None,
    after: date | None,
    before: date | None,
    today: date,
) -> Asked:
    """The query parsed with the caller's filters checked (`today`: the Beijing date); operators in the query win
    over the arguments."""
    checked = check_filters(dict(filters or {}), today=today)
    if site:
        checked["site"] = [site]
    for label, bound in (("filter 'publishedAfter'", after), ("filter 'publishedBefore'", before)):
        check_year(label, bound.isoformat() if bound else "", bound, today=today)
    parsed = parse_query(query, today=today)
    parsed = replace(parsed, after=parsed.after or after, before=parsed.before or before)
    check_dates(parsed.after, parsed.before)
    for name, values in (("site", parsed.sites), ("kind", parsed.kinds)):
        if values:
            checked[name] = values
    return Asked(query=query, parsed=parsed, filters=checked, has_text=has_words(parsed.text))


async def interpret(engine: SearchEngine, asked: Asked, lex: Snapshot) -> Interpretation:
    """The variants to run: rewrites of the text that the index attests, a 文号 operator first, never none."""
    if asked.has_text:
        meaning = await keep_attested(engine, understand(asked.parsed.text, lex.lexicon, lex.synonyms, lex.queries))
        meaning = synonyms_of_reading(meaning, lex.synonyms)
    else:
        meaning = Interpretation(original=asked.query, variants=[])
    variants = list(meaning.variants)
    if doc_no := asked.parsed.doc_no:
        variants.insert(0, Variant("", 10.0, doc_no, Rewrite("doc_no", asked.query, doc_no)))
    return replace(meaning, variants=variants or [Variant("", 1.0)])


async def keep_attested(engine: SearchEngine, meaning: Interpretation) -> Interpretation:
    """Pinyin candidates made of several words must occur as written somewhere (长期号楼保险 never does)."""
    pinyin = [v for v in meaning.variants if v.rewrite is not None and v.rewrite.kind == "pinyin"]
    if len(pinyin) < 2:
        return meaning
    counts = await asyncio.gather(
        *(engine.search(SearchRequest(must_phrases=[v.query], limit=0, highlight=False)) for v in pinyin)
    )
    attested = [v for v, c in zip(pinyin, counts, strict=True) if c.total > 0] or pinyin[:1]
    top = 2.0 if attested[0] is pinyin[0] else 1.0
    kept = [replace(v, weight=top if i == 0 else max(0.3, top * (1 - 0.2 * i))) for i, v in enumerate(attested)]
    assert kept[0].rewrite is not None
    dropped = {v.query for v in pinyin}
    return replace(
        meaning,
        variants=kept + [v for v in meaning.variants if v not in pinyin],
        rewrites=[r for r in meaning.rewrites if r.kind != "pinyin"] + [kept[0].rewrite],
        related=[v.query for v in kept[1:]] + [r for r in meaning.related if r not in dropped],
    )


def request_for(base: SearchRequest, v: Variant, offset: int, limit: int, **extras: Any) -> SearchRequest:
    """The shared request with one variant's text (and 文号) and a window of results."""
    return replace(
        base, query=v.query, doc_no=v.doc_no or base.doc_no, offset=offset, limit=limit, any_term=v.any_term, **extras
    )


def extras_for(*, facets: bool, scenes: bool, sort: Sort) -> dict[str, object]:
    """What the primary variant's search also computes: facets, and groups by kind for the scenes."""
    extras: dict[str, object] = {"facets": FACETS if facets else ["kind"] if scenes else []}  # scenes: by kind
    if scenes and sort == "relevance":  # groups are of the relevance ranking
        extras.update(group_by="kind", group_size=SCENE_HITS)
    return extras


@dataclass(frozen=True, kw_only=True)
class Ran:
    """Variants run: the page's fused hits, the total, the primary variant, its result, the rewrites applied."""

    hits: list[SearchHit]
    total: int
    primary: Variant
    main: SearchResult
    rewrites: list[Rewrite]


async def run_variants(
    engine: SearchEngine,
    base: SearchRequest,
    meaning: Interpretation,
    offset: int,
    limit: int,
    extras: dict[str, object],
) -> Ran:
    """Hits of the page and the primary variant's result (facets and groups, as `extras` ask), fusing
    variants on early pages."""
    primary = meaning.primary
    corrected = [meaning.correction, *meaning.correction_rewrites] if meaning.correction else []
    variants = [*meaning.variants, *corrected]
    window = offset + limit
    if len(variants) == 1 or window > MAX_LIMIT:
        result = await engine.search(request_for(base, primary, offset, limit, **extras))
        return Ran(hits=result.hits, total=result.total, primary=primary, main=result, rewrites=list(meaning.rewrites))
    results = await asyncio.gather(
        *(engine.search(request_for(base, v, 0, window, **(extras if v is primary else {}))) for v in variants)
    )
    by_variant = list(zip(variants, results, strict=True))
    main = results[variants.index(primary)]
    ran = Ran(hits=[], total=0, primary=primary, main=main, rewrites=list(meaning.rewrites))
    if meaning.correction is not None:
        by_variant, ran = await _corrected(
            engine, request_for(base, meaning.correction, 0, window, **extras), by_variant, ran, len(corrected)
        )
    # an any-term variant counts every document with one of the words: a total only when nothing else has one
    total = max((r.total for v, r in by_variant if not v.any_term), default=0) or max(r.total for _, r in by_variant)
    return replace(ran, hits=fuse(by_variant)[offset:window], total=total)


async def matched_ids(
    engine: SearchEngine, base: SearchRequest, variants: Sequence[Variant], ids: list[str], *, relaxed: bool
) -> set[str]:
    """Which of the documents `ids` a variant matches: those are among the hits the pages are drawn from. A match
    on only some of the words counts only when the search itself `relaxed` so (no document had them all)."""
    found = await asyncio.gather(
        *(engine.search(replace(request_for(base, v, 0, len(ids)), ids=ids, highlight=False)) for v in variants)
    )
    return {h.id for result in found if relaxed or not result.relaxed for h in result.hits}


async def _corrected(
    engine: SearchEngine,
    corrected_request: SearchRequest,
    by_variant: list[tuple[Variant, SearchResult]],
    ran: Ran,
    group: int,
) -> tuple[list[tuple[Variant, SearchResult]], Ran]:
    """The last `group` variants are the correction and its own rewrites (its synonyms): kept when the
    corrector is sure, the correction made primary when the original finds little, else all dropped."""
    start = len(by_variant) - group
    kept, (correction, corrected), chained = by_variant[:start], by_variant[start], by_variant[start + 1 :]
    weak = ran.main.total < LITTLE and max(r.total for _, r in by_variant[start:]) > ran.main.total
    if not weak and correction.weight < 1.5:
        return kept, ran
    assert correction.rewrite is not None
    follow = [v.rewrite for v, _ in chained[:1] if v.rewrite is not None]
    ran = replace(ran, rewrites=[*ran.rewrites, correction.rewrite, *follow])
    if not weak:
        return by_variant, ran
    main = await engine.search(corrected_request)
    promoted = (replace(correction, weight=3.0), corrected)
    return [*kept, promoted, *chained], replace(ran, primary=correction, main=main)


async def scenes_of(engine: SearchEngine, base: SearchRequest, ran: Ran) -> list[Scene]:
    """Each scene's count (from the kind facet) and best hits: the best of its kinds among the ranked
    window of the main search when there are enough there, else a search of those kinds alone."""
    counts = dict(ran.main.facets.get("kind", []))
    picked: dict[str, list[SearchHit]] = {}
    missing = []
    for key, _, kinds in SCENES:
        count = sum(counts.get(k, 0) for k in kinds)
        grouped = [h for _, h in sorted(g for k in kinds for g in ran.main.groups.get(k, []))]
        if len(grouped) >= min(SCENE_HITS, count):
            picked[key] = grouped[:SCENE_HITS]
        else:
            missing.append((key, kinds))
    scene_request = request_for(base, ran.primary, 0, SCENE_HITS)
    found = await asyncio.gather(
        *(engine.search(replace(scene_request, filters={**base.filters, "kind": list(kinds)})) for _, kinds in missing)
    )
    picked.update((key, result.hits) for (key, _), result in zip(missing, found, strict=True))
    return [
        Scene(key, name, sum(counts.get(k, 0) for k in kinds), [Hit(h, False, i) for i, h in enumerate(picked[key], 1)])
        for key, name, kinds in SCENES
    ]


def related(meaning: Interpretation, popular: Sequence[tuple[str, int]]) -> list[str]:
    """Searches to suggest: other readings of the query, popular searches containing it, the correction."""
    q = normalize_keyword(meaning.original)
    out = list(meaning.related)
    if q:
        out += [p for p, _ in popular if q in p and p != q][:5]
    if meaning.did_you_mean:
        out.append(meaning.did_you_mean)
    return [r for r in dict.fromkeys(out) if r != q][:8]


# One query of each kind understanding treats differently: hanzi with a synonym, pinyin, initials, a typo,
# spoken words (the colloquial lexicon and the any-term variant).
WARM_QUERIES = ("社保卡怎么办理", "shebao", "sfz", "社寳", "请问开个小饭馆要办啥证")


async def warm(engine: SearchEngine, lex: Snapshot) -> None:
    """Run a few queries through understanding and the engine, unlogged, so that what they load on first use
    (the segmenter's dictionary, pinyin and typo tables, the engine's searchers) is loaded before the
    first citizen's search."""
    await asyncio.to_thread(get_analyzer().tokens, WARM_QUERIES[0])  # jieba's dictionary: about a second of CPU
    extras = extras_for(facets=True, scenes=True, sort="relevance")
    for query in WARM_QUERIES:
        asked = read_query(query, None, site=None, after=None, before=None, today=local_date(system_clock()))
        meaning = await interpret(engine, asked, lex)
        await run_variants(engine, asked.request("relevance"), meaning, 0, 10, extras)

"""The Meilisearch payloads the adapter sends and reads, as plain data: settings, documents, searches, hits."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from core.search.analysis import MAX_QUERY_CHARS, fold, index_terms, normalize_keyword, query_terms
from core.search.highlight import highlight_all, highlight_terms, snippet
from core.search.models import (
    FILTER_FIELDS,
    MAX_FACET_VALUES,
    MULTI_VALUED_FIELDS,
    Copy,
    IndexDoc,
    SearchHit,
    SearchRequest,
)

RETRIEVED = ["id", "url", "title", "site", "kind", "published_at", "doc_no", "issuer", "copies"]
CROP_WORDS = 60
VOCABULARY_FACET = "title_words"
_CONTROL = dict.fromkeys(range(0x20), " ")


def index_settings(
    *, dictionary: Sequence[str] = (), synonyms: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """The whole settings object, applied on open and to every rebuilt index."""
    return {
        # *_terms hold our analyser's words (inner words of compounds included), space-separated
        "searchableAttributes": ["pinned", "title", "title_terms", "doc_no", "issuer", "text", "text_terms"],
        "filterableAttributes": [
            *FILTER_FIELDS,
            "id",
            "published_ts",
            "doc_no_normalized",
            VOCABULARY_FACET,
        ],
        "sortableAttributes": ["published_ts"],
        # `sort` first: a date sort orders every match by date, as the tantivy engine does
        "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
        "displayedAttributes": [*RETRIEVED, "text"],
        "localizedAttributes": [{"attributePatterns": ["title", "text", "issuer"], "locales": ["zho"]}],
        "typoTolerance": {"disableOnAttributes": ["doc_no", "pinned"]},
        "faceting": {"maxValuesPerFacet": 1000, "sortFacetValuesBy": {"*": "count"}},
        "pagination": {"maxTotalHits": 10_000},
        "separatorTokens": ["〔", "〕", "［", "］", "《", "》", "【", "】", "、", "·"],
        "dictionary": list(dictionary),
        "synonyms": {k: list(v) for k, v in (synonyms or {}).items()},
    }


def _epoch_seconds(day: date) -> int:
    return calendar.timegm(day.timetuple())


def to_document(doc: IndexDoc) -> dict[str, Any]:
    """One IndexDoc as a Meilisearch document (control characters removed from display text)."""
    title, text = doc.title.translate(_CONTROL), doc.text.translate(_CONTROL)
    title_terms = index_terms(title)
    out: dict[str, Any] = {
        name: doc.keyword_values(name) if name in MULTI_VALUED_FIELDS else next(iter(doc.keyword_values(name)), None)
        for name in FILTER_FIELDS
    }
    out.update(
        id=doc.id,
        url=doc.url,
        title=title,
        text=text,
        doc_no=doc.doc_no,
        doc_no_normalized=doc.doc_no_normalized,
        column=doc.column,
        validity=doc.validity,
        published_at=doc.published_at.isoformat() if doc.published_at else None,
        published_ts=_epoch_seconds(doc.published_at) if doc.published_at else None,
        pinned=[normalize_keyword(t) for t in doc.pinned_terms if normalize_keyword(t)],
        title_terms=" ".join(title_terms),
        text_terms=" ".join(index_terms(text)),
        title_words=sorted(set(title_terms)),
        copies=[{"url": c.url, "site": c.site} for c in doc.copies],  # displayed only: not searchable
    )
    return out


def quote(value: str) -> str:
    """A filter string literal: backslashes and double quotes escaped, so a value can never end it."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_filter(req: SearchRequest) -> list[str]:
    """Filter clauses, all of which must hold (Meilisearch ANDs the items of a filter array)."""
    clauses: list[str] = []
    for name in FILTER_FIELDS:  # field names come from our list, never from the request
        wanted = [v for v in req.filters.get(name, []) if v]
        if wanted:
            clauses.append(f"{name} IN [{', '.join(quote(v) for v in wanted)}]")
    if req.published_after:
        clauses.append(f"published_ts >= {_epoch_seconds(req.published_after)}")
    if req.published_before:
        clauses.append(f"published_ts <= {_epoch_seconds(req.published_before)}")
    if req.doc_no.strip():
        clauses.append(f"doc_no_normalized = {quote(req.doc_no.strip())}")
    if req.ids:
        clauses.append(f"id IN [{', '.join(quote(i) for i in req.ids)}]")
    for term in req.title_terms:
        clauses.extend(f"{VOCABULARY_FACET} = {quote(word)}" for word in query_terms(term))
    return clauses


def _plain(text: str) -> str:
    """User text with Meilisearch's query operators (phrase quotes, leading minus) neutralised."""
    words = fold(text.replace('"', " ")).split()
    return " ".join(w.lstrip("-") for w in words if w.lstrip("-"))


def build_query(req: SearchRequest) -> str:
    """`q`: the folded user query, then required phrases in quotes and exclusions with a minus."""
    parts = [_plain(req.query[:MAX_QUERY_CHARS])]
    parts.extend(f'"{p}"' for p in map(_plain, req.must_phrases) if p)
    parts.extend(f'-"{t}"' for t in map(_plain, req.exclude_terms) if t)
    return " ".join(p for p in parts if p)


def search_params(req: SearchRequest, *, relaxed: bool = False) -> dict[str, Any]:
    """Every query word must match; `relaxed` (the retry when none matched) drops words from the end."""
    params: dict[str, Any] = {
        "matchingStrategy": "frequency" if req.any_term else "last" if relaxed else "all",
        "attributesToRetrieve": RETRIEVED,
        "attributesToCrop": ["text"],
        "cropLength": CROP_WORDS,
        "cropMarker": "…",
        "showRankingScore": True,
    }
    if req.limit == 0:
        params.update(page=1, hitsPerPage=0)
    elif req.offset % req.limit == 0:
        # page/hitsPerPage makes Meilisearch count exhaustively (totalHits), not estimate
        params.update(page=req.offset // req.limit + 1, hitsPerPage=req.limit)
    else:
        params.update(offset=req.offset, limit=req.limit)
    if clauses := build_filter(req):
        params["filter"] = clauses
    if req.facets:
        params["facets"] = list(req.facets)
    if req.sort != "relevance":
        params["sort"] = [f"published_ts:{'asc' if req.sort == 'date_asc' else 'desc'}"]
    return params


def to_hit(hit: Mapping[str, Any], req: SearchRequest) -> SearchHit:
    """Map one hit; highlighting is ours (same as tantivy's) on the title and Meilisearch's crop."""
    terms = highlight_terms([*query_terms(req.query), *req.must_phrases, *req.title_terms]) if req.highlight else []
    title = str(hit.get("title") or "")
    text = str((hit.get("_formatted") or {}).get("text") or hit.get("text") or "")
    published = hit.get("published_at")
    return SearchHit(
        id=str(hit["id"]),
        url=str(hit.get("url") or ""),
        title=title,
        title_highlighted=highlight_all(title, terms),
        snippet=snippet(text, terms),
        score=float(hit.get("_rankingScore") or 0.0) if req.sort == "relevance" else 0.0,
        site=str(hit.get("site") or ""),
        kind=str(hit.get("kind") or ""),
        published_at=date.fromisoformat(published) if published else None,
        doc_no=str(hit.get("doc_no") or ""),
        issuer=str(hit.get("issuer") or ""),
        copies=tuple(Copy(url=str(c.get("url") or ""), site=str(c.get("site") or "")) for c in hit.get("copies") or ()),
    )


def to_facets(response: Mapping[str, Any], names: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    distribution = response.get("facetDistribution") or {}
    return {
        name: sorted(
            ((str(k), int(v)) for k, v in (distribution.get(name) or {}).items()), key=lambda kv: (-kv[1], kv[0])
        )[:MAX_FACET_VALUES]
        for name in names
    }


def total_hits(response: Mapping[str, Any]) -> int:
    return int(response.get("totalHits", response.get("estimatedTotalHits", 0)) or 0)

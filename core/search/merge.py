"""Merging results: weighted reciprocal-rank fusion of query variants, filters checked, pinned hits made."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from core.errors import Invalid
from core.search.models import FILTER_FIELDS, IndexDoc, SearchHit, SearchRequest, SearchResult
from core.search.query import KIND_BY_NAME
from core.search.understand import Variant
from core.sites.config import LEVELS
from core.sites.ids import is_site_id
from core.textzh.dates import FIRST_YEAR

RRF_K = 10
RELAXED_WEIGHT = 0.5  # a variant none of whose matches holds every term it asked for counts half
MAX_FILTER_VALUES = 20
YEAR = re.compile(r"\d{4}")


def check_filters(filters: dict[str, list[str]], *, today: date) -> dict[str, list[str]]:
    """Known filter fields with trimmed, bounded values; Invalid otherwise (`today`: a Beijing date, for the latest
    year a document may have)."""
    out: dict[str, list[str]] = {}
    for name, values in filters.items():
        if name not in FILTER_FIELDS:
            raise Invalid(f"unknown filter {name!r}: use {', '.join(FILTER_FIELDS)}")
        if len(values) > MAX_FILTER_VALUES or any(len(v) > 200 for v in values):
            raise Invalid(f"filter {name!r}: at most {MAX_FILTER_VALUES} values of at most 200 characters")
        if cleaned := [v.strip() for v in values if v.strip()]:
            out[name] = [_checked_value(name, v, today) for v in cleaned]
    return out


def _checked_value(name: str, value: str, today: date) -> str:
    """One filter value as the index holds it; a value of a closed field that no document can hold is refused
    (a filter matching nothing because of a typo would look like an empty result)."""
    if name == "format":
        return value.upper()  # indexed upper-cased
    if name == "kind":
        return KIND_BY_NAME.get(value, value)  # 政策文件 → policy, as the type: operator takes it
    if name == "level" and value not in LEVELS:
        raise Invalid(f"filter 'level': {value!r} is not a level: use {', '.join(LEVELS)}")
    if name == "year" and not YEAR.fullmatch(value):
        raise Invalid(f"filter 'year': {value!r} is not a year such as 2024")
    # a document dated late in December may carry the new year, as policies(filters: {year}) allows
    if name == "year" and not FIRST_YEAR <= int(value) <= today.year + 1:
        raise Invalid(f"filter 'year': {value} is not between {FIRST_YEAR} and {today.year + 1}")
    if name == "site" and not is_site_id(value):
        raise Invalid(f"filter 'site': {value!r} is not a site id")
    return value


def admits(request: SearchRequest, doc: IndexDoc) -> bool:
    """Whether a document shown without the engine (a pinned result) passes the request's filters and dates as
    the engine checks a hit's: a searcher who chose 办事服务 or a year sees no pinned notice of another year."""
    for name, values in request.filters.items():
        if values and not set(values) & set(doc.keyword_values(name)):
            return False
    if request.published_after is None and request.published_before is None:
        return True
    day = doc.published_at
    if day is None:
        return False
    return (request.published_after is None or day >= request.published_after) and (
        request.published_before is None or day <= request.published_before
    )


def fuse(results: Sequence[tuple[Variant, SearchResult]]) -> list[SearchHit]:
    """Weighted reciprocal-rank fusion of the variants' hits (a document keeps its best-scoring copy)."""
    score: dict[str, float] = {}
    first: dict[str, SearchHit] = {}
    for variant, result in results:
        weight = variant.weight * (RELAXED_WEIGHT if result.relaxed and len(results) > 1 else 1.0)
        for rank, hit in enumerate(result.hits, 1):
            score[hit.id] = score.get(hit.id, 0.0) + weight / (RRF_K + rank)
            first.setdefault(hit.id, hit)
    ranked = sorted(score, key=lambda i: -score[i])
    return [replace(first[i], score=round(score[i], 6)) for i in ranked]


def document_hit(doc: IndexDoc) -> SearchHit:
    """A hit for a document shown without the engine (a pinned result), from its search projection."""
    return SearchHit(
        id=doc.id,
        url=doc.url,
        title=doc.title,
        title_highlighted=html.escape(doc.title),
        snippet=html.escape(" ".join(doc.text[:400].split())[:160]),
        score=0.0,
        site=doc.site,
        kind=doc.kind,
        published_at=doc.published_at,
        doc_no=doc.doc_no,
        issuer=doc.issuer,
        copies=tuple(doc.copies),
    )

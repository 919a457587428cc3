"""What the search engines index, what they are asked and what they answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from core.errors import Invalid

Sort = Literal["relevance", "date_desc", "date_asc"]
SORTS: tuple[str, ...] = ("relevance", "date_desc", "date_asc")

# Keyword fields a request may filter and facet on; `year` is derived from `published_at`.
FILTER_FIELDS: tuple[str, ...] = (
    "site",
    "kind",
    "department",
    "region",
    "level",
    "theme",
    "year",
    "issuer",
    "audience",
    "format",  # a dataset's resource formats (CSV, GEOJSON, API, …), upper-cased as package_search's res_format
)
MULTI_VALUED_FIELDS: frozenset[str] = frozenset({"theme", "audience", "format"})
MAX_LIMIT = 100
MAX_FACET_VALUES = 100


@dataclass(frozen=True, slots=True)
class Copy:
    """Another page of the same document (a reprint on another site), listed under the canonical hit."""

    url: str
    site: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexDoc:
    """One document as the search index sees it (a projection of the Postgres row)."""

    id: str
    url: str
    title: str
    text: str = ""
    site: str = ""
    kind: str = ""
    published_at: date | None = None
    doc_no: str = ""
    doc_no_normalized: str = ""
    issuer: str = ""
    department: str = ""
    region: str = ""
    level: str = ""
    theme: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    column: str = ""
    validity: str = ""
    pinned_terms: list[str] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)

    @property
    def year(self) -> str:
        return str(self.published_at.year) if self.published_at else ""

    def keyword_values(self, name: str) -> list[str]:
        """The non-empty values of a filter field, as a list whether the field is single or multi."""
        if name == "year":
            return [self.year] if self.year else []
        value = getattr(self, name)
        values = value if isinstance(value, list) else [value]
        return [v for v in values if v]


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchRequest:
    """A search: the raw user query plus structured constraints; engines analyse the query themselves."""

    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    published_after: date | None = None
    published_before: date | None = None
    must_phrases: list[str] = field(default_factory=list)
    exclude_terms: list[str] = field(default_factory=list)
    title_terms: list[str] = field(default_factory=list)
    doc_no: str = ""
    offset: int = 0
    limit: int = 10
    sort: Sort = "relevance"
    facets: list[str] = field(default_factory=list)
    highlight: bool = True
    # Best hits per value of this keyword field among the ranked window (scenes by kind); an engine may
    # leave `SearchResult.groups` empty, and callers search a missing group on its own.
    group_by: str = ""
    group_size: int = 0
    # Any query term may match (ranked by how many and how rare), not every one: a long question in a
    # citizen's words rarely has all its words in the right document. The tantivy engine does not count
    # such matches (the total is the number of hits returned) nor re-rank them on verbatim chunks.
    any_term: bool = False
    # Only these documents (empty: any): how a search asks which of its pinned documents the query matches.
    ids: list[str] = field(default_factory=list)

    def validate(self) -> None:
        """Raise Invalid for what a caller can fix (unknown fields, bad paging)."""
        unknown = [
            f
            for f in (*self.filters, *self.facets, *([self.group_by] if self.group_by else []))
            if f not in FILTER_FIELDS
        ]
        if unknown:
            raise Invalid(f"unknown filter or facet field(s): {', '.join(sorted(set(unknown)))}")
        if self.sort not in SORTS:
            raise Invalid(f"sort must be one of {', '.join(SORTS)}")
        if self.offset < 0 or not 0 <= self.limit <= MAX_LIMIT:
            raise Invalid(f"offset must be >= 0 and limit between 0 and {MAX_LIMIT}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    """One result; `title_highlighted` and `snippet` are HTML-escaped with matches in <em>."""

    id: str
    url: str
    title: str
    title_highlighted: str
    snippet: str
    score: float
    site: str
    kind: str
    published_at: date | None
    doc_no: str
    issuer: str
    copies: tuple[Copy, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits, the total number of matches, facet counts, the time the engine took and, if asked,
    the best hits per group."""

    hits: list[SearchHit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    took_ms: float = 0.0
    # per value of `group_by`: (rank in the ranked window, hit), best first
    groups: dict[str, list[tuple[int, SearchHit]]] = field(default_factory=dict)
    # no document had every query term, so documents with some of them were returned
    relaxed: bool = False

"""Result records of content and audience analytics: hot words, top documents, visitors."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

# Home pages and column (list) pages are navigation, not content: they lead to what readers came for.
NAVIGATION_KINDS = ("homepage", "column")
# Open-data datasets are catalogue records (名录, 统计表 of a harvest or an import, published by the hundred in one
# day), not what citizens read on the sites: they have no place among the hot words of new web content.
CATALOGUE_KINDS = ("dataset",)


class TopKind(enum.Enum):
    """Which documents `top_documents` ranks, and how (HOT_POLICY: policies rising against the window before)."""

    ALL = ()
    POLICY = ("policy", "interpretation")
    SERVICE = ("service",)
    HOT_POLICY = ("policy", "interpretation", "hot")
    NAVIGATION = NAVIGATION_KINDS

    @property
    def kinds(self) -> list[str] | None:
        """The document kinds ranked; None for every kind of content (every kind but navigation)."""
        return [k for k in self.value if k != "hot"] or None


@dataclass(frozen=True, kw_only=True)
class DocumentRef:
    """A document named by a result: enough to link to it."""

    id: str
    site_id: str
    title: str
    url: str
    kind: str


@dataclass(frozen=True, kw_only=True)
class HotWord:
    """A term of newly published documents with its counts now and before, and the documents behind it."""

    term: str
    count: int  # documents of the window that are about the term
    before: float  # documents per window over the windows before, averaged
    rise: float  # (count + 1) / (before + 1)
    documents: list[DocumentRef]


@dataclass(frozen=True, kw_only=True)
class TopDocument:
    """A document and its views over a window (and over the window before, for rising)."""

    document: DocumentRef
    views: int
    visitors: int
    clicks: int
    previous_views: int


@dataclass(frozen=True)
class VisitorDay:
    day: date
    visitors: int


@dataclass(frozen=True)
class ProvinceCount:
    province: str | None  # None: unknown (private, loopback, not in the database)
    visitors: int


@dataclass(frozen=True, kw_only=True)
class VisitorStats:
    """Distinct visitors per day (hashes rotate daily, so a visitor of two days counts on each) and by province."""

    site: str | None
    days: list[VisitorDay]
    by_province: list[ProvinceCount]

    @property
    def visitor_days(self) -> int:
        return sum(d.visitors for d in self.days)

"""What a search returns: served hits (pinned ones first), scenes of results by kind, the whole outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.search.answers import InstantAnswer
from core.search.models import SearchHit
from core.search.understand import Rewrite


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


@dataclass(frozen=True, kw_only=True)
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


def served(
    pinned: Sequence[SearchHit], hits: Sequence[SearchHit], offset: int, page_size: int, *, hits_from: int
) -> list[Hit]:
    """The page as shown, numbered from the page's offset. The list paged through is the pinned hits, then the
    engine's others: a pinned document is not shown again where it ranks, and every page after the first
    continues where the one before stopped. `hits` are the engine's from its rank `hits_from` (0: the page is cut
    from the whole list; deeper, without pins or past the window `pin_window` reads from the top, they are the
    page's own, pinned documents left out)."""
    pinned_ids = {h.id for h in pinned}
    rest = [h for h in hits if h.id not in pinned_ids]
    if hits_from > 0:
        return [Hit(h, False, offset + i) for i, h in enumerate(rest[:page_size], 1)]
    listed = [*pinned, *rest][offset : offset + page_size]
    return [Hit(h, offset + i <= len(pinned), offset + i) for i, h in enumerate(listed, 1)]


def pin_window(pins: int, offset: int, page_size: int, most: int) -> tuple[int, int]:
    """The engine's ranks (offset, limit) a page needs when `pins` pinned hits lead the list. Within the engine's
    largest window (`most`), from the top: how many pinned documents rank before the page is only known there.
    Deeper, the page's own ranks, which continue the list when the pinned documents match the query and rank
    in that window (the usual pin: a relevant document brought to the top)."""
    if pins and offset + page_size <= most:
        return 0, offset + page_size
    return offset, page_size

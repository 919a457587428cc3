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


def served(pinned: Sequence[SearchHit], hits: Sequence[SearchHit], offset: int, page_size: int) -> list[Hit]:
    """The page as shown: pinned hits first, the engine's others after, numbered from the page's offset."""
    pinned_ids = {h.id for h in pinned}
    shown = [*pinned, *(h for h in hits if h.id not in pinned_ids)][:page_size]
    return [Hit(h, i <= len(pinned), offset + i) for i, h in enumerate(shown, 1)]

"""Merging what the shards of a tantivy index found: their best matches into one order, their facet
counts into one list (docs/search.md, "Shards")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tantivy

from core.search.models import MAX_FACET_VALUES

FacetCounts = dict[str, list[tuple[str, int]]]


def shard_facet_size(shards: int) -> int:
    """Values each shard reports per facet: more than are shown, so that a value just below the cut in one
    shard still counts in full (Elasticsearch's shard_size)."""
    return MAX_FACET_VALUES if shards == 1 else MAX_FACET_VALUES * 3 // 2 + 10


@dataclass(frozen=True, slots=True)
class Found:
    """A match: its sort key (score, or the date in ns), its shard and its address there."""

    key: Any
    shard: int
    address: tantivy.DocAddress

    @property
    def where(self) -> tuple[int, int, int]:
        return (self.shard, self.address.segment_ord, self.address.doc)


def _sort_key(key: Any, descending: bool) -> tuple[int, Any]:
    """Merge order of first-pass keys; documents without a date (None) come last either way."""
    if key is None:
        return (1, 0)
    return (0, -key if descending else key)


def merge_found(
    per_shard: Sequence[Sequence[tuple[Any, tantivy.DocAddress]]], *, descending: bool, limit: int
) -> list[Found]:
    """The best `limit` of every shard's ordered (key, address) list. Keys compare across shards (BM25
    from each shard's own statistics, as Elasticsearch's default search does); ties keep shard order, so
    pages are stable."""
    found = [Found(key, i, address) for i, hits in enumerate(per_shard) for key, address in hits]
    if len(per_shard) > 1:
        found.sort(key=lambda f: _sort_key(f.key, descending))
    return found[:limit]


def merge_facets(parts: Sequence[FacetCounts], names: Sequence[str]) -> FacetCounts:
    """Every shard's counts summed per value, the most frequent first (then by value), at most
    MAX_FACET_VALUES a facet."""
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    for part in parts:
        for name, values in part.items():
            for value, count in values:
                counts[name][value] = counts[name].get(value, 0) + count
    return {
        name: sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACET_VALUES]
        for name, values in counts.items()
    }

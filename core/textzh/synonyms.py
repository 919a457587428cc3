"""Colloquial → official rewrites (身份证丢了 → 居民身份证补领), editable at runtime and storable as rows."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.textzh import lexicon
from core.textzh.analyzer import Analyzer, get_analyzer
from core.textzh.normalize import fold

_MAX_REWRITES = 5


@dataclass(frozen=True)
class Rewrite:
    """One way to say a colloquial stretch officially; `start`/`end` index the terms it replaces."""

    source: str
    target: str
    start: int
    end: int


class SynonymTable:
    """Colloquial phrases and their official forms, matched on folded text, longest phrase first."""

    def __init__(self, rows: Iterable[tuple[str, str]] = (), *, analyzer: Analyzer | None = None) -> None:
        self._lock = threading.Lock()
        self._analyzer = analyzer
        self._by_terms: dict[str, str] | None = None
        self._table: dict[str, list[str]] = {}
        self._longest = 0
        for colloquial, official in rows:
            self.add(colloquial, official)

    @classmethod
    def default(cls) -> SynonymTable:
        """The bundled table (core/textzh/data/synonyms.txt)."""
        rows = []
        for line in lexicon.read_rows("synonyms.txt"):
            colloquial, officials = line.split("\t")
            rows += [(colloquial, official) for official in officials.split("|")]
        return cls(rows)

    def add(self, colloquial: str, official: str) -> None:
        """Add a rewrite (idempotent)."""
        key, value = fold(colloquial), fold(official)
        if not key or not value or key == value:
            return
        with self._lock:
            targets = self._table.setdefault(key, [])
            if value not in targets:
                targets.append(value)
            self._longest = max(self._longest, len(key))
            self._by_terms = None

    def remove(self, colloquial: str, official: str | None = None) -> None:
        """Remove one rewrite, or every rewrite of a colloquial phrase when official is None."""
        key = fold(colloquial)
        with self._lock:
            targets = self._table.get(key, [])
            if official is None or fold(official) in targets:
                targets[:] = [] if official is None else [t for t in targets if t != fold(official)]
            if not targets:
                self._table.pop(key, None)
            self._longest = max(map(len, self._table), default=0)
            self._by_terms = None

    def rows(self) -> list[tuple[str, str]]:
        """Every rewrite as (colloquial, official), for storing in a table."""
        with self._lock:
            return [(key, target) for key, targets in sorted(self._table.items()) for target in targets]

    def __len__(self) -> int:
        return len(self._table)

    def officials(self, colloquial: str) -> list[str]:
        """The official forms of one colloquial phrase."""
        return list(self._table.get(fold(colloquial), ()))

    def _phrases(self) -> dict[str, str]:
        """Each phrase's query terms joined (身份证丢了 → 身份证丢, the stop word gone) → the phrase."""
        by_terms = self._by_terms
        if by_terms is None:
            analyzer = self._analyzer or get_analyzer()
            with self._lock:
                keys = list(self._table)
            by_terms = {"".join(analyzer.query_terms(key)): key for key in keys}
            by_terms.update({key: key for key in keys})
            self._by_terms = by_terms
        return by_terms

    def expand(self, terms: Sequence[str]) -> list[Rewrite]:
        """Rewrites for runs of consecutive terms (the analyzer's query terms), longest run first."""
        folded = [fold(t) for t in terms]
        phrases = self._phrases()
        out: list[Rewrite] = []
        i = 0
        while i < len(folded):
            for j in range(len(folded), i, -1):
                phrase = phrases.get("".join(folded[i:j]))
                if phrase is not None and phrase in self._table:
                    out += [Rewrite(phrase, target, i, j) for target in self._table[phrase]]
                    i = j - 1
                    break
            i += 1
        return out

    def _matches(self, q: str) -> list[tuple[int, int, list[str]]]:
        found, i = [], 0
        while i < len(q):
            for j in range(min(len(q), i + self._longest), i, -1):
                targets = self._table.get(q[i:j])
                # Skip a phrase that is already part of its official form (执照 inside 营业执照).
                if targets and not any(_inside_official(q, i, j, t) for t in targets):
                    found.append((i, j, list(targets)))
                    i = j - 1
                    break
            i += 1
        return found

    def rewrite(self, query: str) -> list[str]:
        """Official phrasings of a query (colloquial stretches replaced), most direct first; [] if none."""
        q = fold(query)
        matches = self._matches(q)
        if not matches:
            return []
        variants = [[targets[0] for _, _, targets in matches]]
        for n, (_, _, targets) in enumerate(matches):
            for target in targets[1:]:
                variants.append([*variants[0][:n], target, *variants[0][n + 1 :]])
        out = []
        for choice in variants[:_MAX_REWRITES]:
            text, last = [], 0
            for (i, j, _), target in zip(matches, choice, strict=True):
                text += [q[last:i], target]
                last = j
            out.append("".join([*text, q[last:]]))
        return list(dict.fromkeys(out))


def _inside_official(q: str, i: int, j: int, official: str) -> bool:
    start = q.find(official, max(0, j - len(official)))
    return start != -1 and start <= i and start + len(official) >= j

"""Completions for a search box: popular queries, index terms and titles, by hanzi, pinyin or initials prefix."""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.textzh.normalize import fold
from core.textzh.pinyin import reading

MAX_PREFIX_CHARS = 50
MAX_SUGGEST = 20
_POPULAR_WEIGHT = 50  # a query people typed is a better completion than a frequent index term
_LATIN = re.compile(r"^[a-z' ]+$")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Suggestion:
    """One completion: the text to search and where it came from (query, term or title)."""

    text: str
    source: str
    score: float


class _Sorted:
    """(key, text, weight) rows sorted by key, for prefix ranges by bisection."""

    def __init__(self, rows: Iterable[tuple[str, str, float]]) -> None:
        self._rows = sorted(rows)
        self._keys = [r[0] for r in self._rows]

    def best(self, prefix: str, limit: int) -> list[tuple[str, float]]:
        lo = bisect.bisect_left(self._keys, prefix)
        hi = bisect.bisect_left(self._keys, prefix + "\uffff")
        found = heapq.nlargest(limit * 3, self._rows[lo:hi], key=lambda r: r[2])
        return [(text, weight) for _, text, weight in found]


def _pinyin_keys(text: str) -> tuple[str, str] | None:
    syls = reading(text)
    if not syls or len(syls) != len(text):
        return None
    return "".join(syls), "".join(s[0] for s in syls)


class Completer:
    """Prefix completion over popular queries and frequent hanzi terms, built once per refresh."""

    def __init__(self, terms: Sequence[tuple[str, str, str, int]], popular: Sequence[tuple[str, int]]) -> None:
        """`terms` rows are (full pinyin, initials, term, frequency); `popular` rows (query, count)."""
        text_rows: list[tuple[str, str, float]] = []
        pinyin_rows: list[tuple[str, str, float]] = []
        for full, initials, term, freq in terms:
            text_rows.append((term, term, float(freq)))
            pinyin_rows += [(full, term, float(freq)), (initials, term, float(freq) * 0.5)]
        self._sources = {term: "term" for _, _, term, _ in terms}
        for query, count in popular:
            q = fold(query)
            weight = float(count) * _POPULAR_WEIGHT
            text_rows.append((q, q, weight))
            self._sources[q] = "query"
            if _HAN.search(q) and len(q) <= 12:
                keys = _pinyin_keys(q)
                if keys:
                    pinyin_rows += [(keys[0], q, weight), (keys[1], q, weight * 0.5)]
        self._text = _Sorted(text_rows)
        self._pinyin = _Sorted(pinyin_rows)

    def complete(self, prefix: str, limit: int, titles: Sequence[str] = ()) -> list[Suggestion]:
        """Best completions of a prefix; `titles` (of documents matching it) fill up what is left."""
        p = fold(prefix)[:MAX_PREFIX_CHARS]
        if not p:
            return []
        scored: dict[str, Suggestion] = {}
        found = self._pinyin.best(p.replace(" ", "").replace("'", ""), limit) if _LATIN.match(p) else []
        found += self._text.best(p, limit)
        for text, weight in found:
            if text != p and (text not in scored or scored[text].score < weight):
                scored[text] = Suggestion(text, self._sources.get(text, "term"), weight)
        out = sorted(scored.values(), key=lambda s: (-s.score, len(s.text), s.text))[:limit]
        seen = {s.text for s in out}
        for title in titles:
            if len(out) >= limit:
                break
            if title not in seen:
                seen.add(title)
                out.append(Suggestion(title, "title", 0.0))
        return out

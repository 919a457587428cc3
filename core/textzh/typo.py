"""Typo correction against a vocabulary: same-sound and same-shape confusions, plus learned pairs.

A stretch of the query is rewritten only when it is not itself a known term, the rewrite is a known term
differing in one character (two for terms of four or more) by a character that sounds the same
(pypinyin, all readings; also fuzzy z/zh c/ch s/sh n/l in/ing en/eng an/ang) or looks alike
(data/shape_similar.txt, written by us), and the rewrite is clearly more frequent than the known words
the query already has at the changed characters (so 工资支付 is never "corrected" to 工资质付).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.textzh import lexicon
from core.textzh.analyzer import Analyzer, get_analyzer
from core.textzh.normalize import fold
from core.textzh.pinyin import reading

_FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en"), ("ang", "an"))
_CONFIDENCE = {"learned": 0.95, "sound": 0.9, "fuzzy": 0.7, "shape": 0.6}
_MAX_WINDOW = 8
_MAX_KEYS = 32
_SUPPORT_RATIO = 3.0  # the rewrite must be this many times more frequent than what it displaces


@dataclass(frozen=True)
class Span:
    """One replaced stretch of the (folded) query."""

    start: int
    end: int
    original: str
    replacement: str


@dataclass(frozen=True)
class Correction:
    """A corrected query, what was replaced, and how sure we are (0..1)."""

    text: str
    spans: tuple[Span, ...]
    confidence: float


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@functools.lru_cache(maxsize=65536)
def char_readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of a character (ü as v)."""
    from pypinyin import Style, pinyin

    return tuple(dict.fromkeys(pinyin(ch, style=Style.NORMAL, heteronym=True, v_to_u=False)[0]))


def fuzzy(syllable: str) -> str:
    """A syllable with the distinctions many speakers blur removed (zh→z, ing→in, l→n, ...)."""
    for a, b in _FUZZY:
        if syllable.startswith(a) and a in ("zh", "ch", "sh"):
            syllable = b + syllable[2:]
        elif syllable.endswith(a) and a not in ("zh", "ch", "sh"):
            syllable = syllable[: -len(a)] + b
    return "n" + syllable[1:] if syllable.startswith("l") else syllable


def _keys(word: str) -> list[tuple[str, ...]]:
    """Fuzzy readings of a typed stretch: any reading of any character may be the one the user meant."""
    options = [tuple(dict.fromkeys(fuzzy(r) for r in char_readings(ch))) for ch in word]
    return list(itertools.islice(itertools.product(*options), _MAX_KEYS))


def _shapes() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for row in lexicon.read_rows("shape_similar.txt"):
        chars = row.split()
        for ch in chars:
            groups.setdefault(ch, set()).update(c for c in chars if c != ch)
    return {ch: frozenset(similar) for ch, similar in groups.items()}


_shape_table = functools.cache(_shapes)


class Corrector:
    """Suggests a corrected query from a vocabulary with frequencies (and pairs learned from query logs)."""

    def __init__(
        self,
        vocabulary: Mapping[str, float] | Iterable[tuple[str, float]],
        *,
        min_freq: float = 1.0,
        analyzer: Analyzer | None = None,
    ) -> None:
        self._min_freq = min_freq
        self._analyzer = analyzer
        self._freq: dict[str, float] = {}
        self._by_sound: dict[tuple[str, ...], list[str]] = {}
        self._learned: dict[str, str] = {}
        self.add_terms(vocabulary)

    def add_terms(self, vocabulary: Mapping[str, float] | Iterable[tuple[str, float]]) -> None:
        """Add terms or raise their frequencies."""
        items = vocabulary.items() if isinstance(vocabulary, Mapping) else vocabulary
        for raw, freq in items:
            term = fold(raw)
            if term not in self._freq and 2 <= len(term) <= _MAX_WINDOW and all(map(_is_han, term)):
                key = tuple(fuzzy(s) for s in reading(term))  # the term's own reading: 银行 is yin hang
                self._by_sound.setdefault(key, []).append(term)
            self._freq[term] = self._freq.get(term, 0.0) + freq

    def learn(self, wrong: str, right: str) -> None:
        """Record a correction users made themselves (a query followed by its fixed form)."""
        self._learned[fold(wrong)] = fold(right)

    def is_known(self, text: str) -> bool:
        """Whether the folded text is a vocabulary term."""
        return self._freq.get(fold(text), 0.0) >= self._min_freq

    def suggest(self, query: str) -> Correction | None:
        """The most likely corrected query, or None when it looks right (a known term is never changed)."""
        q = fold(query)
        if not q or self.is_known(q):
            return None
        if q in self._learned:
            span = Span(0, len(q), q, self._learned[q])
            return Correction(self._learned[q], (span,), _CONFIDENCE["learned"])
        # Longer stretches first (公积经 → 公积金 beats 公积 → anything), then the more confident.
        found = sorted(self._candidates(q), key=lambda c: (c[1].start - c[1].end, -c[0]))
        chosen: list[tuple[float, Span]] = []
        for confidence, span in found:
            if all(span.end <= s.start or span.start >= s.end for _, s in chosen):
                chosen.append((confidence, span))
        if not chosen:
            return None
        chosen.sort(key=lambda c: c[1].start)
        text, last = [], 0
        for _, span in chosen:
            text.append(q[last : span.start] + span.replacement)
            last = span.end
        text.append(q[last:])
        confidence = min(confidence for confidence, _ in chosen)
        return Correction("".join(text), tuple(span for _, span in chosen), round(confidence, 3))

    def _support(self, q: str, pos: int, window: tuple[int, int]) -> float:
        """How strongly the query's own words vouch for the character at pos (infinite: leave it alone).

        A known word that covers pos and reaches outside the window, or a stop word, means the character
        is already part of something right (使用和呼号 is not 使用户呼号); words inside the window compete
        by frequency."""
        best, stop = 0.0, lexicon.stopwords()
        for i in range(max(0, pos - _MAX_WINDOW + 1), pos + 1):
            for j in range(pos + 1, min(len(q), i + _MAX_WINDOW) + 1):
                word = q[i:j]
                if word in stop:
                    return math.inf
                if (i, j) == window or len(word) < 2 or self._freq.get(word, 0.0) < self._min_freq:
                    continue
                if i < window[0] or j > window[1]:
                    return math.inf
                best = max(best, self._freq[word])
        return best

    def _candidates(self, q: str) -> Iterable[tuple[float, Span]]:
        # A typo breaks the segmentation around it, so a stretch to rewrite starts and ends where jieba
        # cut the query: 省林业 is 省/林业, and 省林 → 森林 is never tried.
        cuts = (self._analyzer or get_analyzer()).boundaries(q)
        for i in range(len(q)):
            for j in range(i + 2, min(len(q), i + _MAX_WINDOW) + 1):
                window = q[i:j]
                if i not in cuts or j not in cuts or not all(map(_is_han, window)) or self.is_known(window):
                    continue
                for term, kind in self._rewrites(window):
                    if kind == "fuzzy" and len(window) < 3:
                        continue  # two blurred characters are too often two real words (省林 → 森林)
                    changed = [i + k for k, (a, b) in enumerate(zip(window, term, strict=True)) if a != b]
                    support = max(self._support(q, pos, (i, j)) for pos in changed)
                    freq = self._freq[term]
                    if support < math.inf and freq >= self._min_freq and freq >= _SUPPORT_RATIO * support:
                        # The confidence shrinks when the query's own words compete with the rewrite.
                        confidence = _CONFIDENCE[kind] * freq / (freq + support + 1.0)
                        yield confidence, Span(i, j, window, term)

    def _rewrites(self, window: str) -> Iterable[tuple[str, str]]:
        max_edits = 1 if len(window) < 4 else 2
        seen: set[str] = set()
        for key in _keys(window):
            for term in self._by_sound.get(key, ()):
                diff = [(a, b) for a, b in zip(window, term, strict=True) if a != b]
                if term not in seen and 0 < len(diff) <= max_edits:
                    seen.add(term)
                    same = all(set(char_readings(a)) & set(char_readings(b)) for a, b in diff)
                    yield term, "sound" if same else "fuzzy"
        shapes = _shape_table()
        for k, ch in enumerate(window):
            for other in shapes.get(ch, ()):
                term = window[:k] + other + window[k + 1 :]
                if term not in seen and term in self._freq:
                    seen.add(term)
                    yield term, "shape"

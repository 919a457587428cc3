"""Whole phrases (runs of title words, popular queries) keyed by pinyin initials and full pinyin.

Initials say little per letter: `cqhlbx` composed word by word from a vocabulary ranked by frequency
becomes 长期号楼保险. A phrase that people wrote (a run of 2–4 whole words of a title, 2–8 hanzi) or
typed (a popular query) is one entry keyed by its own context-aware reading, so `cqhlbx` finds
长期护理保险 as written, ranked by how many titles (or searches) hold it. Only exact keys match: no
prefix, no fuzziness, so a phrase is never offered for a query that spells another reading.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from core.textzh import lexicon
from core.textzh.normalize import fold
from core.textzh.pinyin import initial, reading

MIN_CHARS = 2
MAX_CHARS = 8
MAX_WORDS = 4
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_LATIN = re.compile(r"^[a-zv' ]+$")


def _keys(syllables: Sequence[str]) -> set[str]:
    """Full pinyin, first-letter initials and zh/ch/sh initials of a reading."""
    return {"".join(syllables), "".join(s[0] for s in syllables), "".join(initial(s) for s in syllables)}


def _read(words: Sequence[str], first: int, chars: int, cache: dict[str, list[str]]) -> list[str]:
    """The syllables of `chars` characters of words from `first` on, each word read on its own."""
    out: list[str] = []
    for word in words[first:]:
        if len(out) >= chars:
            break
        if word not in cache:
            cache[word] = reading(word)
        out += cache[word]
    return out[:chars]


class PhraseIndex:
    """Phrases with a weight (titles or searches holding them), found by exact initials or full pinyin."""

    def __init__(self, phrases: Iterable[tuple[str, Sequence[str], float]] = ()) -> None:
        """`phrases` rows are (phrase, its syllables, weight); a phrase seen again adds its weight."""
        self._weight: dict[str, float] = {}
        self._by_key: dict[str, list[str]] = {}
        for phrase, syls, weight in phrases:
            if phrase in self._weight:
                self._weight[phrase] += weight
                continue
            if len(syls) != len(phrase):
                continue
            self._weight[phrase] = weight
            for key in _keys(syls):
                self._by_key.setdefault(key, []).append(phrase)

    def __len__(self) -> int:
        return len(self._weight)

    @classmethod
    def from_titles(cls, titles: Iterable[str], tokens: Callable[[str], list[str]]) -> PhraseIndex:
        """Runs of 1–4 whole words (`tokens` segments hanzi) of 2–8 hanzi, weighted by titles holding them.

        A run may not start or end with a stop word (的遗嘱 is no phrase); each word is read on its own,
        so 长期 in 广州市长期 is chang qi, not the zhang of 市长.
        """
        stop = lexicon.stopwords()
        counts: Counter[str] = Counter()
        readings: dict[str, list[str]] = {}
        word_readings: dict[str, list[str]] = {}
        for title in titles:
            seen: set[str] = set()
            for run in _HAN_RUN.findall(fold(title)):
                words = tokens(run)
                if "".join(words) != run:
                    continue
                for i, first in enumerate(words):
                    if first in stop:
                        continue
                    phrase = ""
                    for word in words[i : i + MAX_WORDS]:
                        phrase += word
                        if len(phrase) > MAX_CHARS:
                            break
                        if len(phrase) >= MIN_CHARS and word not in stop and phrase not in seen:
                            seen.add(phrase)
                            if phrase not in readings:
                                readings[phrase] = _read(words, i, len(phrase), word_readings)
            counts.update(seen)
        return cls((p, readings[p], float(n)) for p, n in counts.items())

    @classmethod
    def from_queries(cls, queries: Iterable[tuple[str, int]]) -> PhraseIndex:
        """Popular queries that are 2–8 hanzi, weighted by how often they were searched."""
        rows = []
        for query, count in queries:
            q = fold(query).replace(" ", "")
            if MIN_CHARS <= len(q) <= MAX_CHARS and _HAN_RUN.fullmatch(q):
                rows.append((q, reading(q), float(count)))
        return cls(rows)

    def lookup(self, query: str, limit: int) -> list[tuple[str, float]]:
        """Phrases whose initials or full pinyin is the whole (Latin) query, heaviest first."""
        q = fold(query).replace("ü", "v")
        if not _LATIN.match(q):
            return []
        found = self._by_key.get(q.replace(" ", "").replace("'", ""), [])
        ranked = sorted(found, key=lambda p: (-self._weight[p], len(p), p))
        return [(p, self._weight[p]) for p in ranked[:limit]]

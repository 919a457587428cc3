"""A citizen's rare words that a pair lacks, found in it as words close in meaning (word vectors; issue 20).

A question asked in the citizen's own words (饭馆, 辞退, 补交) shares nothing with an answer that says 餐饮,
解聘, 缴纳. For each of the query's content words that is rare among the loaded pairs and that a candidate pair
holds neither as a word nor as all of its bigrams, the closest of the pair's words among the word's `_NEAREST`
nearest words of the pairs' vocabulary (core.textzh.vectors) is found; its cosine, at least `_FLOOR`, times the
word's IDF is the pair's credit for it. The credits over the IDF of all the query's content words are a share
(0..1) that `readings.readings` adds to the answer reading. Only rare words count: a word many pairs hold
(企业, 疫情) is matched literally where it matters, and its neighbours (单位, 防控) are everywhere. Measured on
the tuning halves of the blind sets and the own set (docs/qa-quality.md); with the vectors shuffled among the
words the same rule gains one question instead of nine: the gain is their meaning, not a bonus for long answers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

from core.textzh import vectors

_FLOOR = 0.55  # a cosine below this is no evidence (related words of another sense: 退休 ~ 下岗 is 0.68)
_NEAREST = 30  # the neighbours of a word looked for in a pair, closest first
_RARE = 0.008  # a word in more than this share of the pairs (40 of 5,000, counting both sides) is not rare


class Nearby:
    """Finds, for a query's rare words, the pairs holding a word close to them; empty without word vectors."""

    def __init__(self, vocabulary: vectors.Vocabulary | None = None) -> None:
        self._vocabulary = vocabulary

    @classmethod
    def of(cls, words: Iterable[str]) -> Nearby:
        """Over the words of the loaded pairs (of two or more characters, with a vector); empty when the word
        vectors are not installed."""
        shared = vectors.shared()
        if shared is None:
            return cls()
        return cls(shared.within(w for w in words if len(w) > 1 and not w.isascii()))

    @staticmethod
    def prepare() -> None:
        """Read the word vectors now (once per process), rather than when the first pairs are learned."""
        vectors.shared()

    def __bool__(self) -> bool:
        return bool(self._vocabulary)

    def shares(
        self,
        asked: Sequence[tuple[str, float, int]],
        pairs: int,
        slots: Sequence[int],
        holders: Callable[[str], tuple[Collection[int], ...]],
        lacks: Callable[[int, str], bool],
    ) -> dict[int, float]:
        """Each slot's share (0..1, slots without credit left out) of the query's content words `asked`, as
        (word, IDF, pairs holding it), that it lacks (`lacks`) but holds a close word of; `holders` gives the
        slots holding a word (its postings on each side), `pairs` the number of pairs loaded."""
        vocabulary = self._vocabulary
        total = sum(idf for _, idf, _ in asked)
        if vocabulary is None or not total:
            return {}
        credit: dict[int, float] = {}
        for word, idf, df in asked:
            if df <= _RARE * pairs:
                for slot, cosine in _closest_held(vocabulary.nearest(word, _NEAREST, _FLOOR), slots, holders).items():
                    if lacks(slot, word):
                        credit[slot] = credit.get(slot, 0.0) + idf * cosine
        return {slot: c / total for slot, c in credit.items()}


def _closest_held(
    neighbours: Sequence[tuple[str, float]],
    slots: Sequence[int],
    holders: Callable[[str], tuple[Collection[int], ...]],
) -> dict[int, float]:
    """For each slot holding any of the neighbours (closest first), the cosine of the closest it holds; each
    neighbour's postings are read from their shorter side (a common word's postings are long, the slots few)."""
    chosen = frozenset(slots)
    out: dict[int, float] = {}
    for neighbour, cosine in neighbours:
        for side in holders(neighbour):
            held = (s for s in side if s in chosen) if len(side) < len(chosen) else (s for s in slots if s in side)
            for slot in held:
                out.setdefault(slot, cosine)
        if len(out) == len(chosen):
            break
    return out

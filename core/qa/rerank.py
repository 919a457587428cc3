"""A learned final re-ranking of the best few pairs of a search (issue 20).

`QaIndex.search` ranks about 60 candidates by the two readings (core.qa.readings) and compares the best few
with one another (`told_apart`). The right pair is often in the reply but not first; this module reorders the
best `TOP` by a linear model over evidence known at that point: each candidate's score relative to the best and
whether it is first, the two readings apart, the learned answer-side score (core.qa.learned), the second pass's
factor, place and aspect agreement, the IDF-weighted shares of the query's characters and bigrams found in the
stored question and in the answer, the pair's lengths, and the products of eight of these. It reorders only
when the first candidate won by the answer reading (`reorderable`): a query that restates a stored question
keeps its order.

The weights were fitted by listwise softmax regression on the *tuning* questions of the blind sets (set 1 all,
sets 2 and 3 tuning halves) and of the project's own set (its tuning half); `ops/bench/qa_rerank.py` repeats
the training and prints its leave-one-set-out table and the weights. Those questions are therefore no longer
blind for this model; only the test halves are. Scores are not changed, only which pair holds them: the
reordered pairs take the scores of the original order, so the answer thresholds and "did you mean" decisions
(core.qa.answerer) see the same confidence as before. Scoring is about fifty multiplications per candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

TOP = 5  # the candidates reordered: the best few of the final ranking

BASE = (
    "relative_score",
    "first",
    "restated_reading",
    "answer_reading",
    "learned",
    "told_apart",
    "same_place",
    "other_place",
    "unasked_place",
    "aspect_missed",
    "chars_in_question",
    "chars_in_answer",
    "bigrams_in_question",
    "bigrams_in_answer",
    "answer_size",
    "question_size",
    "as_typed",
)
# Products of these (each with itself and every later one) let the model weigh one kind of evidence by another.
_CROSSED = (0, 2, 3, 4, 5, 11, 13, 14)
_PAIRS = tuple((a, b) for i, a in enumerate(_CROSSED) for b in _CROSSED[i:])
FEATURES = BASE + tuple(f"{BASE[a]}*{BASE[b]}" for a, b in _PAIRS)
# Fitted by ops/bench/qa_rerank.py (L2 0.001, 300 steps, the top 5) on 929 tuning questions, 650 of whose rankings
# it may reorder (`reorderable`): 647 → 675 right on the four sets together; left out one set at a time, each
# gains (set 1 +8, set 2 +2, set 3 +7, own +1). None ships no re-ranking.
WEIGHTS: tuple[float, ...] | None = (
    1.6860,
    -0.3880,
    -2.4853,
    -0.0077,
    3.0036,
    -0.2520,
    1.2179,
    -1.6137,
    -0.4163,
    -0.2841,
    0.1563,
    9.4565,
    0.9190,
    -1.6880,
    11.5677,
    -0.5330,
    0.5471,
    1.0063,
    -3.5441,
    0.9932,
    -0.2049,
    1.7851,
    0.4762,
    -4.1037,
    1.2088,
    0.2607,
    1.1835,
    9.2430,
    -3.3825,
    -4.0151,
    -2.7534,
    0.6868,
    -5.4131,
    -2.3250,
    1.1831,
    7.1874,
    4.9413,
    8.7795,
    -1.1849,
    -0.2725,
    0.9960,
    -5.9931,
    0.5177,
    0.6715,
    4.5769,
    -5.8243,
    -3.9910,
    -6.8124,
    -3.2307,
    -4.5051,
    20.8231,
    -0.3602,
    -11.4442,
)


@dataclass(frozen=True)
class Candidate:
    """What is known of one of the best pairs when the re-ranking runs."""

    score: float  # the final score (after the second pass)
    restated: float  # the restated reading of its best phrasing (core.qa.readings.readings)
    answered: float  # the answer reading of its best phrasing
    learned: float  # the learned answer-side score of its best phrasing, relative to the best candidate's
    apart: float  # the second pass's factor (1 when the pass left it alone)
    place: int  # +1 names the query's place, −1 names only others, 0 the query names none or the pair none
    unasked_place: bool  # the query names no place, the stored question names one
    aspect_missed: float  # the share of the aspects asked that the answer does not state
    chars_in_question: float  # IDF-weighted share of the query's characters in the stored question
    chars_in_answer: float  # … in the answer
    bigrams_in_question: float  # IDF-weighted share of the query's bigrams in the stored question
    bigrams_in_answer: float  # … in the answer
    answer_size: int  # distinct characters of the answer
    question_size: int  # characters of the stored question
    as_typed: bool  # its best phrasing is the question as typed (not a rewrite)


def features(candidate: Candidate, best_score: float, first: bool) -> tuple[float, ...]:
    """The feature vector of a candidate in `FEATURES` order, given the best candidate's score."""
    c = candidate
    base = (
        c.score / best_score if best_score > 0 else 0.0,
        1.0 if first else 0.0,
        c.restated,
        c.answered,
        c.learned,
        c.apart,
        1.0 if c.place > 0 else 0.0,
        1.0 if c.place < 0 else 0.0,
        1.0 if c.unasked_place else 0.0,
        c.aspect_missed,
        c.chars_in_question,
        c.chars_in_answer,
        c.bigrams_in_question,
        c.bigrams_in_answer,
        math.log1p(c.answer_size) / 5,
        math.log1p(c.question_size) / 4,
        1.0 if c.as_typed else 0.0,
    )
    return base + tuple(base[a] * base[b] for a, b in _PAIRS)


def vectors(candidates: Sequence[Candidate]) -> list[tuple[float, ...]]:
    """The feature vectors of the best candidates, best first."""
    best = candidates[0].score if candidates else 0.0
    return [features(c, best, i == 0) for i, c in enumerate(candidates)]


def reorderable(candidates: Sequence[Candidate]) -> bool:
    """Whether the model may reorder these candidates: at least two, and the first won by the answer reading.
    A query that restates a stored question (the first won by the restated reading: the own set's paraphrases,
    typos and greetings) keeps its order; trained without this rule the model handed them to other pairs'
    answers (docs/qa-quality.md)."""
    return len(candidates) > 1 and candidates[0].answered > candidates[0].restated


def order(candidates: Sequence[Candidate], weights: Sequence[float] | None = WEIGHTS) -> list[int]:
    """The new order of the candidates (indexes into `candidates`, given best first): by the model's score,
    ties kept in the given order; the given order when there are no weights or `reorderable` says no."""
    if not weights or not reorderable(candidates):
        return list(range(len(candidates)))
    scored = [sum(w * x for w, x in zip(weights, v, strict=True)) for v in vectors(candidates)]
    return sorted(range(len(candidates)), key=lambda i: (-scored[i], i))


class Shares:
    """IDF-weighted shares of a query's characters and bigrams that a text holds (a candidate's question or answer)."""

    def __init__(self, char_idf: dict[str, float], bigram_idf: dict[str, float]) -> None:
        self._chars, self._bigrams = char_idf, bigram_idf
        self._char_total = sum(char_idf.values()) or 1.0
        self._bigram_total = sum(bigram_idf.values()) or 1.0

    def chars(self, held: frozenset[str]) -> float:
        """The share of the query's characters (by IDF) in `held`."""
        return sum(w for c, w in self._chars.items() if c in held) / self._char_total

    def bigrams(self, held: frozenset[str]) -> float:
        """The share of the query's bigrams (by IDF) in `held`."""
        return sum(w for b, w in self._bigrams.items() if b in held) / self._bigram_total

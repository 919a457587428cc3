"""The two readings of a candidate pair, and the evidence each weighs (see core/qa/index.py).

A query either *restates the stored question* (IDF-weighted overlap of terms, bigrams and characters, mostly
from the query's side, raised when it holds most of the stored question) or *asks with the answer's words*
(BM25 of the answer and the question relative to their ceilings, and the share of the query found in the
pair); the better reading counts. The score is then weighed by what the pair covers of the query's characters,
whether its answer states the aspect asked for (a time, a sum, a number: core.qa.aspects), and
whether it is about the place the query names. A stored question narrower than the query (it holds all the
query's informative words and adds a subject of its own) loses part of its restated reading (`unasked`,
`held`). Half of the answer reading is weighed by a linear model of answer-side evidence trained on the
stored pairs themselves (core.qa.learned); a query's rare words that a pair holds only as words close in meaning
add to it (core.qa.nearby). The weights were measured on the tuning half of the blind set
and on the project's own set (docs/qa-quality.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
BM25_QUESTION = 0.5  # a question field's BM25 weight, the answer's being 1
# The answer reading: BM25 of the answer relative to its ceiling, and coverage; the question reading's boost
# when the query holds most of the stored question. Measured on the blind tuning half and the own set.
_W_BM25, _W_COVERAGE, _W_RESTATED = 2.0, 0.5, 0.6
_SQUASH_AT, _ANSWER_TOP = 0.8, 0.78
_OTHER_PLACE, _SAME_PLACE = 0.8, 1.1
# Pairs missing the query's characters (question and answer together) lose up to this share; an answer
# that does not state the aspect asked for (core.qa.aspects) loses this share.
_CHAR_PENALTY = 0.2
_ASPECT_MISS = 0.15
# Rerank weights: terms, bigrams, characters, answer-only evidence; query-side share of each overlap.
_W_TERMS, _W_BIGRAMS, _W_CHARS, _W_ANSWER = 0.35, 0.4, 0.25, 0.15
_QUERY_SIDE = 0.7
_SPECIFIC_CHARS = 8
# A stored question more specific than the query: its own content words the query lacks (社保卡丢了怎么补办 asked
# as 怎么办理社保卡 lacks 补办) cost the restated reading up to this share, by the informativeness-weighted share
# missing, but only as far as the stored question holds the query's own words (that share to this power): a
# paraphrase, with informative words of its own, is left to the overlap. Measured: docs/qa-quality.md.
_W_UNASKED, _HELD_POWER = 0.8, 10
# The learned answer-side score (core.qa.learned, relative to the best candidate's) weighs this share of the
# answer reading: it reorders what the answer reading ranks, and never raises it. Measured: docs/qa-quality.md.
_W_LEARNED = 0.5
# The share of the query's rare words a pair holds only as words close in meaning (core.qa.nearby) adds this much
# to the answer reading. Measured: docs/qa-quality.md.
_W_NEARBY = 0.3
# The second pass (`told_apart`): the best few candidates compared with one another on the query's characters
# that some of them hold and others lack; the one holding most of them beyond chance keeps its score, the others
# lose up to this share. Measured: docs/qa-quality.md.
RIVALS, _W_APART = 5, 0.3
Totals = tuple[float, float, float, float, float]


def grams(text: str) -> tuple[list[str], list[str]]:
    """Character bigrams and single characters of folded text (Latin/digit runs count as one character)."""
    bigrams: list[str] = []
    chars: list[str] = []
    for run in _RUN.findall(text):
        if run[0].isascii():
            chars.append(run)
            continue
        chars.extend(run)
        bigrams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return bigrams, chars


@dataclass(kw_only=True)
class Entry:
    """One indexed pair, analysed once."""

    key: str
    terms: frozenset[str]
    bigrams: frozenset[str]
    chars: frozenset[str]
    answer_bigrams: frozenset[str]
    length: int
    places: frozenset[str]  # named in the question
    answer_places: frozenset[str]  # named in the question or the answer
    shows: frozenset[str]  # the aspects its answer states
    words: tuple[str, ...] = ()  # the stored question's content words (the analyzer's query terms)
    answer_chars: frozenset[str] = frozenset()  # characters of the answer (the pair's: these and `chars`)


@dataclass(frozen=True)
class QueryView:
    """One phrasing of the query, analysed once."""

    terms: tuple[str, ...]
    bigrams: frozenset[str]
    chars: frozenset[str]
    weight: float = 1.0
    places: frozenset[str] = frozenset()
    aspects: frozenset[str] = frozenset()
    predicted: tuple[tuple[str, float], ...] = ()  # answer words its words predict (associations)


@dataclass(frozen=True, kw_only=True)
class Matched:
    """One phrasing with the BM25 it found on each side, relative to its ceiling (0..1), by slot, and the IDF
    of each of its terms, bigrams and characters (in the questions; bigrams also in whole pairs)."""

    view: QueryView
    questions: dict[int, float]
    answers: dict[int, float]
    answer_ceiling: float
    terms: dict[str, float]
    bigrams: dict[str, float]
    chars: dict[str, float]
    pair_bigrams: dict[str, float]
    pair_chars: dict[str, float]
    # the learned answer-side score (core.qa.learned) of each candidate, relative to the best (0..1)
    learned: dict[int, float] = field(default_factory=dict)
    # the share of the query's rare words each candidate lacks but holds a word close in meaning to (core.qa.nearby)
    nearby: dict[int, float] = field(default_factory=dict)

    @property
    def totals(self) -> Totals:
        return (
            sum(self.terms.values()),
            sum(self.bigrams.values()),
            sum(self.chars.values()),
            sum(self.pair_bigrams.values()),
            sum(self.pair_chars.values()),
        )


def squash(score: float, at: float, top: float) -> float:
    """Scores up to `at` as they are; above, compressed towards `top` (order kept)."""
    if score <= at:
        return score
    room = top - at
    return at + room * (1 - math.exp(-(score - at) / room))


def _has(word: str, terms: frozenset[str] | tuple[str, ...], bigrams: frozenset[str], chars: frozenset[str]) -> bool:
    """Whether a text holds a word: as a term, or as all of its bigrams (a different segmentation is no loss)."""
    if word in terms:
        return True
    if len(word) == 1 or word.isascii():
        return word in chars
    return all(word[i : i + 2] in bigrams for i in range(len(word) - 1))


def unasked(view: QueryView, own: Sequence[tuple[str, float]]) -> float:
    """The share of a stored question's content words (weighed by informativeness) the query does not hold."""
    total = sum(weight for _, weight in own)
    missing = sum(weight for word, weight in own if not _has(word, view.terms, view.bigrams, view.chars))
    return missing / total if total else 0.0


def held(asked: Sequence[tuple[str, float]], entry: Entry) -> float:
    """The share of the query's own content words (weighed by informativeness) the stored question holds."""
    total = sum(weight for _, weight in asked)
    hit = sum(weight for word, weight in asked if _has(word, entry.terms, entry.bigrams, entry.chars))
    return hit / total if total else 1.0


def readings(
    m: Matched,
    slot: int,
    entry: Entry,
    totals: Totals,
    stored: tuple[float, float, float],
    own: Sequence[tuple[str, float]] = (),
    asked: Sequence[tuple[str, float]] = (),
) -> tuple[float, float, float]:
    """Two readings of a pair and the factor both are weighed by: the query restates the stored question (n-gram
    overlap with it, more when it holds most of the stored question); it asks with the words of the answer
    (BM25 over the question and, more, the answer, plus how much of the query the pair covers); the weight of
    characters, aspect, place and length. The pair's score is the better reading times the factor."""
    view = m.view
    q_terms, q_bigrams, q_chars, q_pair, q_pair_chars = totals
    s_terms, s_bigrams, s_chars = stored
    shared = view.bigrams & entry.bigrams
    bigram_hit = sum(m.bigrams[b] for b in shared)
    in_answer = (view.bigrams & entry.answer_bigrams) - shared
    as_question = (
        _W_TERMS * overlap(sum(m.terms[t] for t in view.terms if t in entry.terms), q_terms, s_terms)
        + _W_BIGRAMS * overlap(bigram_hit, q_bigrams, s_bigrams)
        + _W_CHARS * overlap(sum(m.chars[c] for c in view.chars & entry.chars), q_chars, s_chars)
        + _W_ANSWER * sum(m.bigrams[b] for b in in_answer) / (q_bigrams or 1.0)
    )
    # how much of the stored question the query holds (its bigrams seen from the stored side)
    restated = overlap(bigram_hit, s_bigrams, q_bigrams)
    as_question *= 1 + _W_RESTATED * restated
    narrower = 1 - _W_UNASKED * unasked(view, own) * held(asked, entry) ** _HELD_POWER if own else 1.0
    coverage = sum(m.pair_bigrams[b] for b in shared | in_answer) / (q_pair or 1.0)
    in_pair = (c for c in view.chars if c in entry.chars or c in entry.answer_chars)
    char_coverage = sum(m.pair_chars[c] for c in in_pair) / (q_pair_chars or 1.0)
    as_answer = BM25_QUESTION * m.questions.get(slot, 0.0) + _W_BM25 * m.answers.get(slot, 0.0) + _W_COVERAGE * coverage
    as_answer += _W_NEARBY * m.nearby.get(slot, 0.0)
    if m.learned:
        as_answer *= 1 - _W_LEARNED + _W_LEARNED * m.learned.get(slot, 0.0)
    # Answer words alone never make a pair as sure as a restated question (a follow-up without a subject,
    # 那需要什么材料, finds many answers that list 材料).
    restated_reading = squash(as_question, _SQUASH_AT, 1.0) * narrower
    answer_reading = squash(as_answer, _SQUASH_AT * 0.75, _ANSWER_TOP)
    factor = 1 - _CHAR_PENALTY + _CHAR_PENALTY * char_coverage
    if view.aspects:
        # what the question asks for (a time, a sum, a number to call) stated in the answer
        factor *= 1 - _ASPECT_MISS * len(view.aspects - entry.shows) / len(view.aspects)
    if view.places and entry.places:
        # the query names a place: the pair about it wins over one about another place
        factor *= _SAME_PLACE if view.places & entry.answer_places else _OTHER_PLACE
    # A query of two or three characters (北京) matches much, and says too little to be sure of any of it.
    return restated_reading, answer_reading, factor * min(1.0, len(view.chars) / _SPECIFIC_CHARS) ** 0.5


def told_apart(
    query: frozenset[str],
    held: Sequence[frozenset[str]],
    idf: dict[str, float],
    share: dict[str, float],
    mean_size: float,
) -> list[float]:
    """A factor (1 − _W_APART .. 1) for each of a few rival candidates, from comparing them with one another
    rather than each with the query: the query's characters that some rivals hold (question or answer) and
    others lack tell them apart; each weighs its IDF × ln(rivals / rivals holding it). A rival's evidence is
    the share of that weight it holds less the share a pair of its size would hold by chance (`share`: the
    share of all pairs holding each character, `mean_size`: a pair's mean number of distinct characters), so a
    long answer does not win by its length alone. The rival with the most evidence keeps its score."""
    n = len(held)
    weights = {}
    for c in query:
        holding = sum(c in h for h in held)
        if 0 < holding < n:
            weights[c] = idf[c] * math.log(n / holding)
    total = sum(weights.values())
    if not total:
        return [1.0] * n
    excess = []
    for h in held:
        hit = sum(w for c, w in weights.items() if c in h)
        size = len(h) / (mean_size or 1.0)
        chance = sum(w * (1 - (1 - share[c]) ** size) for c, w in weights.items())
        excess.append(max(0.0, hit - chance) / total)
    best = max(excess)
    if not best:
        return [1.0] * n
    return [1 - _W_APART + _W_APART * e / best for e in excess]


def overlap(hit: float, query_total: float, stored_total: float) -> float:
    """IDF-weighted overlap, mostly from the query's side: the share of it found, and of the stored side."""
    if not query_total:
        return 0.0
    return _QUERY_SIDE * hit / query_total + (1 - _QUERY_SIDE) * min(1.0, hit / (stored_total or 1.0))

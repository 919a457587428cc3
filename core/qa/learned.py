"""A small learned weighing of the answer-side evidence, trained on the stored pairs themselves (issue 20).

Citizens ask with the words of the answer they need (docs/qa-quality.md, blind sets). How much each kind of
answer-side evidence is worth was learned, not guessed: each of 3,000 stored questions (drawn with seed 7 from
the 5,000 DataFountain pairs) was asked against the *answers* alone, its own answer (or an identical one) being
the right one among the 60 answers its words select, and a linear model over the features below was fitted by
softmax regression over those 60 (`ops/bench/qa_learn.py` repeats the training and prints the weights). No
evaluation question, blind or own, was used. The weights are shipped here: nothing is downloaded or learned
at run time, and scoring is nine multiplications per candidate.

Features of one phrasing against one candidate's answer:
0. answer-term BM25 and 1. answer-bigram BM25, each relative to the ceiling of both (as `readings` reads them);
2. the BM25 of the answer words the query's words predict (`associations`), relative to the same ceiling;
3. the IDF-weighted share of the query's bigrams and 4. of its characters found in the answer itself;
5. the share of the aspects asked (time, sum, number) the answer states; 6. +1 when the answer names the place
the query names, −1 when it names only others, 0 when the query names none; 7.–8. features 3 and 4 squared.

`readings.readings` uses the model's score, relative to the best of the candidates, as a weight on the answer
reading: it reorders pairs the answer reading ranks, and never lifts a pair above what the answer reading said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

FEATURES = (
    "answer_terms",
    "answer_bigrams",
    "predicted",
    "bigram_share",
    "char_share",
    "aspects",
    "place",
    "bigram_share_sq",
    "char_share_sq",
)
# Fitted by ops/bench/qa_learn.py (seed 7, 3,000 stored questions, 1,364 whose answer their words select;
# 300 steps of gradient descent, rate 0.5, L2 0.001): listwise softmax loss 4.05 → 2.21, top-1 0.43 among the
# 60 answers on those questions (answers alone; the stored questions are not used for the answer side).
WEIGHTS = (0.9227, 1.3906, 0.5251, 3.6934, 3.0295, 0.7659, 5.2678, 1.0694, 1.6020)


def features(
    terms: float, bigrams: float, predicted: float, bigram_share: float, char_share: float, aspects: float, place: float
) -> tuple[float, ...]:
    """The feature vector in `FEATURES` order."""
    return (terms, bigrams, predicted, bigram_share, char_share, aspects, place, bigram_share**2, char_share**2)


def linear(vector: Sequence[float], weights: Sequence[float] = WEIGHTS) -> float:
    """The model's score of one feature vector."""
    return sum(w * x for w, x in zip(weights, vector, strict=True))


def relative(scores: Mapping[int, float]) -> dict[int, float]:
    """Scores as shares of the best (0..1; a negative score counts as 0)."""
    top = max(scores.values(), default=0.0)
    if top <= 0:
        return {slot: 0.0 for slot in scores}
    return {slot: max(0.0, s) / top for slot, s in scores.items()}

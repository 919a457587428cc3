"""The learned final re-ranking (core.qa.rerank): what it reorders, and what it never does."""

from __future__ import annotations

import dataclasses

import pytest

from core.qa import rerank
from core.qa.index import QaIndex
from tests.unit.core.qa.small_kb import PAIRS as SMALL_KB
from tests.unit.core.qa.small_kb import index_of

PAIRS = (
    *SMALL_KB,
    ("rent", "中小企业房租减免政策是什么？", "对承租国有经营用房的中小企业，免收一个月房租，减半收取两个月房租。"),
)


def _candidate(score: float, **changes: object) -> rerank.Candidate:
    """A candidate that won by the answer reading, with middling evidence unless changed."""
    base = rerank.Candidate(
        score=score,
        restated=0.2,
        answered=score,
        learned=0.8,
        apart=1.0,
        place=0,
        unasked_place=False,
        aspect_missed=0.0,
        chars_in_question=0.3,
        chars_in_answer=0.5,
        bigrams_in_question=0.1,
        bigrams_in_answer=0.3,
        answer_size=40,
        question_size=20,
        as_typed=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _weights(feature: str, weight: float = 10.0) -> tuple[float, ...]:
    """Weights that keep the given order (by relative score) unless `feature` says otherwise."""
    return tuple(1.0 if f == "relative_score" else weight if f == feature else 0.0 for f in rerank.FEATURES)


def test_a_candidate_with_more_of_the_query_in_its_answer_goes_first() -> None:
    first = _candidate(0.50, chars_in_answer=0.3, bigrams_in_answer=0.1)
    second = _candidate(0.49, chars_in_answer=0.9, bigrams_in_answer=0.6)
    assert rerank.order([first, second], _weights("chars_in_answer")) == [1, 0]
    assert rerank.order([first, second], None) == [0, 1]


def test_the_shipped_model_moves_a_close_second_with_the_better_answer_evidence() -> None:
    first = _candidate(0.50, learned=0.6, chars_in_answer=0.4, bigrams_in_answer=0.15, apart=0.8)
    second = _candidate(0.49, learned=1.0, chars_in_answer=0.8, bigrams_in_answer=0.5, apart=1.0)
    assert rerank.order([first, second]) == [1, 0]
    # far behind, the same evidence does not move it
    assert rerank.order([first, dataclasses.replace(second, score=0.1, answered=0.1)]) == [0, 1]


def test_a_query_that_restates_a_stored_question_keeps_its_order() -> None:
    first = _candidate(0.80, restated=0.8, answered=0.3, chars_in_answer=0.1)
    second = _candidate(0.60, chars_in_answer=0.9)
    assert not rerank.reorderable([first, second])
    assert rerank.order([first, second], _weights("chars_in_answer")) == [0, 1]


def test_one_candidate_or_none_is_left_as_it_is() -> None:
    assert rerank.order([_candidate(0.5)], _weights("chars_in_answer")) == [0]
    assert rerank.order([], _weights("chars_in_answer")) == []
    assert len(rerank.features(_candidate(0.5), 0.5, True)) == len(rerank.FEATURES) == len(rerank.WEIGHTS or ())


@pytest.fixture(scope="module")
def index() -> QaIndex:
    return index_of(PAIRS)


@pytest.mark.parametrize("text", ["网上办税有哪些渠道", "企业复工补贴每人每天多少", "房租能减免吗", "口罩"])
def test_search_only_reorders_its_own_candidates_and_keeps_the_scores(index: QaIndex, text: str) -> None:
    views = [index.view(text)]
    index.rerank_weights = None
    plain = index.search(views, 6)
    try:
        for weights in (rerank.WEIGHTS, _weights("answer_size", 100.0), _weights("answer_size", -100.0)):
            index.rerank_weights = weights
            reranked = index.search(views, 6)
            assert {k for k, _ in reranked} == {k for k, _ in plain}
            assert [s for _, s in reranked] == [s for _, s in plain]
            assert [k for k, _ in reranked[rerank.TOP :]] == [k for k, _ in plain[rerank.TOP :]]
            assert index.search(views, 2) == reranked[:2]
    finally:
        index.rerank_weights = rerank.WEIGHTS


def test_search_with_one_pair_returns_it() -> None:
    idx = QaIndex()
    idx.add("masks", "药店口罩限购吗？", "每人每次限购口罩5只，凭身份证登记购买。")
    hits = idx.search([idx.view("买口罩限购吗")])
    assert [k for k, _ in hits] == ["masks"]
    idx.rerank_weights = None
    assert idx.search([idx.view("买口罩限购吗")]) == hits

"""A citizen's own word that no pair uses still finds the pair saying it officially (word vectors, issue 20)."""

from __future__ import annotations

import logging

import pytest

from core.qa.answerer import KnowledgeBase
from core.qa.models import QaPair
from core.qa.nearby import Nearby
from core.textzh import vectors

# Two answers alike but for the penalty: the citizen says 坐牢, which neither holds; 判刑 is close to it in
# meaning (cosine 0.80), 罚款 is not (0.51). Written by us.
PAIRS = [
    QaPair(id="fine", question="哄抬口罩价格会被罚款吗？", answer="哄抬口罩价格的，由市场监管部门处以罚款。"),
    QaPair(id="prison", question="哄抬口罩价格会被判刑吗？", answer="哄抬口罩价格情节严重的，可以判刑。"),
    QaPair(id="masks", question="药店口罩限购吗？", answer="每人每次限购口罩5只，凭身份证登记购买。"),
]
SPOKEN = "哄抬口罩价格要坐牢不"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    base = KnowledgeBase()
    base.load(PAIRS)
    return base


def _scores(base: KnowledgeBase, question: str) -> dict[str, float]:
    return {pair.id: score for pair, score in base.rank(question, 3)}


def test_a_spoken_word_finds_the_pair_with_its_official_counterpart(kb: KnowledgeBase) -> None:
    assert kb.reply(SPOKEN).best_id == "prison"


def test_the_vectors_raise_only_the_pair_holding_a_close_word(kb: KnowledgeBase) -> None:
    with_vectors = _scores(kb, SPOKEN)
    shipped = kb.index._nearby
    kb.index._nearby = Nearby()
    try:
        without = _scores(kb, SPOKEN)
    finally:
        kb.index._nearby = shipped
    assert with_vectors["prison"] > without["prison"] + 0.05
    assert with_vectors["fine"] == without["fine"]


def test_a_question_in_the_pairs_own_words_is_unchanged(kb: KnowledgeBase) -> None:
    with_vectors = _scores(kb, "哄抬口罩价格会被罚款吗")
    shipped = kb.index._nearby
    kb.index._nearby = Nearby()
    try:
        assert _scores(kb, "哄抬口罩价格会被罚款吗") == with_vectors
    finally:
        kb.index._nearby = shipped
    assert kb.reply("哄抬口罩价格会被罚款吗").best_id == "fine"


def test_without_the_package_ask_answers_as_before_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(vectors, "_PACKAGE", "no_such_package_here")
    monkeypatch.setattr(vectors, "_loaded", [])
    with caplog.at_level(logging.WARNING, logger="core.textzh.vectors"):
        base = KnowledgeBase()
        base.load(PAIRS)
        base.load(PAIRS)
        assert base.reply("哄抬口罩价格会被判刑吗").best_id == "prison"
    assert sum("word vectors unavailable" in r.getMessage() for r in caplog.records) == 1
    assert not base.index._nearby

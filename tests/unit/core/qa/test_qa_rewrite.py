"""Phrasings of a question: pinyin typed among hanzi is read as the hanzi it stands for."""

from __future__ import annotations

from core.qa.rewrite import Rewriter


def test_a_question_with_pinyin_in_it_is_read_in_hanzi_first() -> None:
    rewriter = Rewriter()
    rewriter.learn({"电子税务局": 20, "功能": 20})
    phrasings = dict(rewriter.phrasings("电子shuiwuju有哪些功能"))
    # the letters as typed match no stored pair: the hanzi reading weighs more than the question as typed
    assert phrasings["电子税务局有哪些功能"] > phrasings["电子shuiwuju有哪些功能"]


def test_a_question_in_hanzi_weighs_most_as_typed() -> None:
    phrasings = Rewriter().phrasings("社保卡怎么办理")
    assert phrasings[0] == ("社保卡怎么办理", 1.0)
    assert all(weight < 1.0 for _, weight in phrasings[1:])

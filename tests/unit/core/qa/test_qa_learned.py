"""The learned answer-side weighing (core.qa.learned): which of several pairs asked the same way says what was asked."""

from __future__ import annotations

import pytest

from core.qa import learned
from core.qa.answerer import KnowledgeBase
from core.qa.index import QaIndex
from core.qa.models import QaPair

# Three cities stored the same question with different answers, as the policy corpus often does.
SAME_QUESTION = "纳税人如何快速进入电子税务局？"
PAIRS = (
    QaPair(
        id="a",
        question=SAME_QUESTION,
        answer="纳税人通过浏览器访问税务总局官网后，选择所在省级税务局的官网链接，即可进入电子税务局。",
    ),
    QaPair(id="b", question=SAME_QUESTION, answer="可在手机应用商店下载个人所得税APP，实名注册后登录办理。"),
    QaPair(id="c", question=SAME_QUESTION, answer="请拨打12366纳税服务热线，按语音提示转人工咨询。"),
    QaPair(id="d", question="发票可以邮寄吗？", answer="纳税人可以选择邮政快递，足不出户坐等送票上门。"),
    QaPair(id="e", question="社保费可以缓缴吗？", answer="受疫情影响的企业可申请缓缴社会保险费，缓缴期限最长6个月。"),
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    kb = KnowledgeBase()
    kb.load(PAIRS, version=1)
    return kb


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("怎么从税务总局官网进入电子税务局", "a"),
        ("电子税务局能用手机APP登录吗", "b"),
        ("进电子税务局有问题打什么热线", "c"),
    ],
)
def test_the_answer_that_says_what_was_asked_wins_among_same_questions(
    kb: KnowledgeBase, question: str, expected: str
) -> None:
    reply = kb.reply(question)
    assert reply.best_id == expected, (question, reply.kind, reply.best_id, [o.qa_id for o in reply.options])


def test_a_restated_question_is_still_answered_by_its_pair(kb: KnowledgeBase) -> None:
    assert kb.reply("社保费能不能缓缴").best_id == "e"


def test_training_vectors_mark_the_pairs_own_answer() -> None:
    index = QaIndex()
    for pair in PAIRS:
        index.add(pair.id, pair.question, pair.answer)
    index.learn()
    rows = index.training_vectors("发票能用邮政快递送上门吗", frozenset({"d"}))
    assert rows is not None
    assert sum(right for right, _ in rows) == 1
    assert all(len(vector) == len(learned.FEATURES) for _, vector in rows)
    # a question whose words select no answer of the right pair teaches nothing
    assert index.training_vectors("发票能用邮政快递送上门吗", frozenset({"e"})) is None


def test_scores_relative_to_the_best() -> None:
    assert learned.relative({1: 2.0, 2: 1.0, 3: -0.5}) == {1: 1.0, 2: 0.5, 3: 0.0}
    assert learned.relative({1: -1.0}) == {1: 0.0}
    assert len(learned.WEIGHTS) == len(learned.FEATURES)

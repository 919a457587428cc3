"""What a question asks for decides between answers, and the pairs teach which answer words a question predicts."""

from __future__ import annotations

import pytest

from core.qa.aspects import asked, shown
from core.qa.associations import Associations
from core.qa.index import QaIndex


@pytest.mark.parametrize(
    ("question", "aspects"),
    [
        ("超市晚上开到几点", {"time"}),
        ("每人每天能补多少钱", {"money"}),
        ("卫健委电话多少", {"phone"}),
        ("什么时候交，要收费吗", {"time", "money"}),
        ("社保卡怎么办理", set()),
        ("新出台了几条税收优惠", {"count"}),
        ("社保费能晚交几个月", {"time"}),
    ],
)
def test_the_aspect_a_question_asks_for(question: str, aspects: set[str]) -> None:
    assert asked(question) == aspects


def test_the_aspect_an_answer_states() -> None:
    assert shown("超市营业时间不得超过18时30分") == {"time"}
    assert shown("按照每人每日200元标准给予补助") >= {"money"}
    assert shown("举报电话:0832-2210011") >= {"phone"}
    assert shown("实行网格化管理，做好登记") == frozenset()
    assert shown("共12项税收优惠政策") >= {"count"}
    assert shown("一是减免租金，二是延期缴纳") >= {"count"}


def test_the_answer_that_states_what_was_asked_wins() -> None:
    idx = QaIndex()
    # Both answers are about the supermarket's opening; only one states a time.
    idx.add("rules", "超市营业有哪些要求？", "超市营业须落实测温、消毒和限流，顾客佩戴口罩。")
    idx.add("hours", "超市营业有什么规定？", "超市营业时间不得超过18时30分，顾客佩戴口罩。")
    hits = idx.search([idx.view("超市营业到几点")])
    assert hits[0][0] == "hours"


def _pairs(n_noise: int = 150) -> list[tuple[list[str], list[str]]]:
    """Questions naming 渠道 whose answers list channels, among unrelated pairs."""
    channels = [(["纳税人", "渠道"], ["电子税务局", "公众号", "热线"]) for _ in range(5)]
    noise = [([f"事项{i}", "办理"], [f"材料{i % 7}", "窗口", "热线"]) for i in range(n_noise)]
    return channels + noise


def test_a_question_word_predicts_the_answer_words_seen_with_it() -> None:
    learned = Associations.learn(_pairs())
    predicted = dict(learned.of("渠道"))
    assert {"电子税务局", "公众号"} <= set(predicted)
    assert "热线" not in predicted  # in answers at large as often: it predicts nothing
    assert all(0 < s <= 1 for s in predicted.values())
    assert learned.of("办理") == [] and learned.of("没见过") == []


def test_rare_question_words_and_bare_numbers_teach_nothing() -> None:
    pairs = [(["口罩"], ["限购", "5只"]), (["口罩"], ["限购", "2020"])] + [([f"q{i}"], [f"a{i}"]) for i in range(30)]
    assert Associations.learn(pairs).of("口罩") == []
    assert len(Associations.learn([])) == 0


def test_the_index_learns_from_its_pairs_and_keeps_it_through_small_loads() -> None:
    idx = QaIndex()
    for i in range(5):
        idx.add(f"c{i}", f"纳税人咨询渠道{i}有哪些？", f"电子税务局、微信公众号{i}。")
    for i in range(150):
        idx.add(f"n{i}", f"事项{i}在哪里办理？", f"在政务服务中心{i}号窗口办理。")
    idx.learn()
    predicted = dict(idx.view("有什么渠道").predicted)
    assert {"税务局", "公众"} <= set(predicted)  # the analyzer's terms of 电子税务局, 微信公众号
    # a load that changes a few pairs keeps what was learned (it is learned again with a large load)
    before = idx.view("有什么渠道").predicted
    idx.add("extra", "另一个问题？", "另一个回答。")
    idx.learn(changed=1)
    assert idx.view("有什么渠道").predicted == before


def test_a_question_asking_how_many_prefers_the_answer_that_counts() -> None:
    idx = QaIndex()
    # Both stored questions are about the new tax measures; only one answer says how many there are.
    idx.add("which", "税务总局新出台的税收优惠政策？", "对生产企业扩大产能购置设备允许一次性税前扣除。")
    idx.add("count", "税务总局新出台税收优惠政策情况？", "共12项")
    hits = idx.search([idx.view("税务总局新出台了几条税收优惠政策")])
    assert hits[0][0] == "count"

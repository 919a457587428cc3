"""QaIndex: questions in the answer's words, place names, and pairs changing one at a time."""

from __future__ import annotations

import pytest

from core.qa.index import QaIndex
from core.qa.places import place_names, places_in

PAIRS = (
    ("subsidy", "企业复工有哪些支持政策？", "对按时复工的企业，按每人每天100元标准给予以工代训补贴，最长3个月。"),
    ("wages", "复工企业职工工资怎么发放？", "企业应按劳动合同约定的标准支付职工工资。"),
    ("tax-sh", "上海市税务局提供的网上办税渠道包括哪些？", "上海市电子税务局、个人所得税APP和微信公众号。"),
    ("tax-sz", "深圳市纳税人可以通过哪些方式办税？", "可通过网上办税渠道：电子税务局、深税服务号和自然人电子税务局。"),
    ("masks", "药店口罩限购吗？", "每人每次限购口罩5只，凭身份证登记购买。"),
)


@pytest.fixture(scope="module")
def index() -> QaIndex:
    idx = QaIndex()
    for key, question, answer in PAIRS:
        idx.add(key, question, answer)
    return idx


def _top(idx: QaIndex, text: str) -> str:
    hits = idx.search([idx.view(text)])
    assert hits, text
    return hits[0][0]


def test_a_question_in_the_answers_words_finds_its_pair(index: QaIndex) -> None:
    # Only the answer says 以工代训 and 每人每天; the stored question says 支持政策.
    assert _top(index, "以工代训补贴每人每天给多少钱") == "subsidy"
    assert _top(index, "买口罩要带身份证登记吗") == "masks"


def test_a_restated_question_still_wins(index: QaIndex) -> None:
    assert _top(index, "复工企业的职工工资如何发放") == "wages"


def test_the_place_named_decides_between_like_answers(index: QaIndex) -> None:
    assert _top(index, "深圳有哪些网上办税的渠道") == "tax-sz"
    assert _top(index, "上海网上办税有哪些渠道") == "tax-sh"


def test_scores_are_between_zero_and_one_best_first(index: QaIndex) -> None:
    hits = index.search([index.view("企业复工以工代训补贴每人每天多少钱，工资怎么发")], limit=5)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)


def test_removed_and_replaced_pairs_change_results_at_once() -> None:
    idx = QaIndex()
    for key, question, answer in PAIRS:
        idx.add(key, question, answer)
    idx.remove("masks")
    assert "masks" not in idx and len(idx) == len(PAIRS) - 1
    assert all(key != "masks" for key, _ in idx.search([idx.view("口罩限购每人每次几只")]))
    idx.add("subsidy", "企业复工有哪些支持政策？", "复工企业可申请稳岗返还。")
    assert all(key != "subsidy" for key, _ in idx.search([idx.view("以工代训补贴每人每天给多少钱")], limit=1))
    assert _top(idx, "复工企业能申请稳岗返还吗") == "subsidy"


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("深圳市纳税人", {"深圳"}),
        ("江西省电子税务局", {"江西"}),
        ("内蒙古自治区企业缓缴", {"内蒙古"}),
        ("北京市东城区劳动能力鉴定", {"北京", "东城"}),
        ("中国企业上市融资", set()),  # 中国 names no particular place, 上市 is no place
    ],
)
def test_places_are_found_in_analyzer_terms(index: QaIndex, text: str, places: set[str]) -> None:
    from core.textzh import get_analyzer

    assert places_in(get_analyzer().index_terms(text)) == places
    assert "上市" not in place_names() and "深圳" in place_names()

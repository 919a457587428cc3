"""QaIndex: questions in the answer's words, place names, and pairs changing one at a time."""

from __future__ import annotations

import pytest

from core.qa.index import QaIndex
from core.textzh.places import abbreviated, place_names, places_in
from tests.unit.core.qa.small_kb import PAIRS, index_of


@pytest.fixture(scope="module")
def index() -> QaIndex:
    return index_of(PAIRS)


def _top(idx: QaIndex, text: str) -> str:
    hits = idx.search([idx.view(text)])
    assert hits, text
    return hits[0][0]


def test_a_question_in_the_answers_words_finds_its_pair(index: QaIndex) -> None:
    # Only the answer says 以工代训 and 每人每天; the stored question says 支持政策.
    assert _top(index, "以工代训补贴每人每天给多少钱") == "subsidy"
    assert _top(index, "买口罩要带身份证登记吗") == "masks"


def test_the_city_named_wins_where_jieba_knew_no_city() -> None:
    idx = QaIndex()
    idx.add("dl", "大连市企业员工返岗有哪些要求？", "返岗员工须持健康码绿码并登记。")
    idx.add("km", "昆明市企业员工返岗有哪些要求？", "返岗员工须测量体温并登记。")
    assert _top(idx, "大连员工返岗有什么要求") == "dl"
    assert _top(idx, "昆明员工返岗有什么要求") == "km"


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
        # Cities jieba's dictionary tags as other words (大连 d, 保定 v, 孝感 n): named by GB/T 2260
        ("大连市失业保险金申领", {"大连"}),
        ("保定企业复工", {"保定"}),
        ("孝感的隔离点", {"孝感"}),
        ("恩施州返岗专车", {"恩施"}),
        # a district that is also an everyday word counts with its suffix only
        ("石家庄市新华区社区防控", {"石家庄", "新华"}),
        ("新华社报道复兴号列车", set()),
        ("北京市顺义区", {"北京", "顺义"}),
    ],
)
def test_places_are_found_in_analyzer_terms(index: QaIndex, text: str, places: set[str]) -> None:
    from core.textzh import get_analyzer

    assert places_in(get_analyzer().index_terms(text)) == places
    assert "上市" not in place_names() and "深圳" in place_names()


@pytest.mark.parametrize(
    ("text", "provinces"),
    [
        ("来沪人员若发热如何电话咨询", ("上海",)),
        ("入赣人员信息平台何时使用", ("江西",)),
        ("在浙江省有什么用", ()),  # 浙 starts 浙江: the full name is found by places_in
        ("走进京东集团总部", ()),
    ],
)
def test_a_province_named_by_its_one_character_name(text: str, provinces: tuple[str, ...]) -> None:
    assert abbreviated(text) == provinces


def test_a_stored_question_about_laihu_is_about_shanghai() -> None:
    idx = QaIndex()
    idx.add("sh", "来沪人员若发热如何电话咨询？", "拨打本市发热咨询专线。")
    idx.add("bj", "北京市发热病人如何电话咨询？", "拨打发热咨询专线。")
    idx.add("any", "发热病人如何电话咨询？", "拨打发热咨询专线。")
    assert _top(idx, "到了上海发热了打哪个电话咨询") == "sh"

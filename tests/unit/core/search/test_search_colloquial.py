"""Questions in a citizen's own words find the document written in official words (issue #20)."""

from __future__ import annotations

from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine
from core.search.understand import Lexicon, understand
from core.textzh.synonyms import SynonymTable
from tests.unit.core.search.search_contract import doc, uid

FOOD = doc("food", "餐饮服务食品经营许可证核发", "开办餐饮服务单位，申请食品经营许可证须提交营业执照和场所平面图。")
FLEX = doc("flex", "灵活就业人员参加社会保险热点问答", "灵活就业人员可以按月缴纳基本养老保险费。")
NOISE = [
    doc("card", "办证大厅开放时间", "证件办理请带身份证，开个证明请到窗口。"),
    doc("small", "小型餐馆油烟治理要求", "餐馆应当安装油烟净化设施。"),
    *(doc(f"faq{i}", f"第{i}类事项常见问题解答", f"今年第{i}类事项有以下常见问题。") for i in range(6)),
    doc("year", "今年有哪些新规", "今年施行的新规汇总。"),
]


async def _search(engine: TantivyEngine, *queries: str) -> list[list[str]]:
    await engine.upsert([FOOD, FLEX, *NOISE])
    service = SearchService(engine)
    try:
        return [[h.hit.id for h in (await service.search(q, scenes=False)).hits] for q in queries]
    finally:
        await service.close()


async def test_spoken_words_find_the_official_document(engine: TantivyEngine) -> None:
    (ranked,) = await _search(engine, "开个小饭馆要办啥证")
    assert ranked[0] == uid("food")


async def test_the_subject_outweighs_what_is_asked_about(engine: TantivyEngine) -> None:
    # every FAQ page has 今年 and 常见问题; only one is about 灵活就业 and 社会保险
    (ranked,) = await _search(engine, "灵活就业社保今年有啥常见问题")
    assert ranked[0] == uid("flex")


def test_the_official_reading_and_the_subject_are_variants_beside_the_query() -> None:
    meaning = understand("开个小饭馆要办啥证", Lexicon.empty(), SynonymTable())
    queries = [(v.query, v.any_term) for v in meaning.variants]
    assert ("开个小饭馆要办啥证", False) in queries
    assert ("开办餐饮服务要办什么许可证", False) in queries
    assert any(any_term and "餐饮" in q for q, any_term in queries)
    # the typed query stays what the result is described by
    assert meaning.primary.query == "开个小饭馆要办啥证" and not meaning.rewrites


def test_a_query_without_spoken_words_gets_no_official_reading() -> None:
    meaning = understand("餐饮服务食品经营许可", Lexicon.empty(), SynonymTable())
    assert [v.query for v in meaning.variants if not v.any_term] == ["餐饮服务食品经营许可"]

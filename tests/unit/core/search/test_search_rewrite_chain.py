"""A rewrite's result goes on through the synonym table as typed text does (shebao → 社保 → 社会保险,
社堡 → 社保 → 社会保险)."""

from __future__ import annotations

from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine
from tests.unit.core.search.search_contract import doc

DOCS = [
    doc("sb1", "企业职工社保缴费基数调整", "社保缴费基数按上年度平均工资确定。"),
    doc("sb2", "社保卡补办流程", "社保卡遗失后可到银行网点补办。"),
    *(doc(f"si{i}", f"社会保险费申报指南{i}", "用人单位按月申报缴纳社会保险费。") for i in range(6)),
    doc("other", "不动产登记办事指南", "申请不动产登记需要提交材料。"),
]


async def test_a_pinyin_query_finds_what_its_hanzi_find(engine: TantivyEngine) -> None:
    await engine.upsert(DOCS)
    service = SearchService(engine)
    try:
        hanzi = await service.search("社保", scenes=False)
        pinyin = await service.search("shebao", scenes=False)
    finally:
        await service.close()
    assert hanzi.total == 8 and [r.replacement for r in hanzi.rewrites] == ["社会保险"]
    assert [(r.kind, r.original, r.replacement) for r in pinyin.rewrites] == [
        ("pinyin", "shebao", "社保"),
        ("synonym", "社保", "社会保险"),
    ]
    assert pinyin.total == hanzi.total
    assert [h.hit.id for h in pinyin.hits] == [h.hit.id for h in hanzi.hits]


async def test_a_corrected_typo_finds_what_its_correction_finds(engine: TantivyEngine) -> None:
    await engine.upsert(DOCS)
    service = SearchService(engine)
    try:
        hanzi = await service.search("社保", scenes=False)
        typo = await service.search("社堡", scenes=False)
    finally:
        await service.close()
    assert [(r.kind, r.original, r.replacement) for r in typo.rewrites] == [
        ("typo", "社堡", "社保"),
        ("synonym", "社保", "社会保险"),
    ]
    # the six 社会保险 guides come from the correction's synonym: before the chain only the two 社保 pages
    assert typo.total == hanzi.total == 8
    assert sum(h.hit.title.startswith("社会保险费申报指南") for h in typo.hits) == 6
    assert {h.hit.id for h in typo.hits} == {h.hit.id for h in hanzi.hits}

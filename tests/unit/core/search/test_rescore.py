"""The second ranking pass: exact chunks in bodies, applied to the best matches only, pages that agree."""

from __future__ import annotations

from core.search import SearchRequest
from core.search.analysis import written_forms
from core.search.rescore import RESCORE_WINDOW, Field, exact_chunks, match_form, rescored
from core.search.tantivy_engine import TantivyEngine
from tests.unit.core.search.search_contract import doc, ids


def test_chunks_are_folded_like_the_index_and_looked_for_in_both_widths() -> None:
    assert exact_chunks("辦理時限  12345熱線 ！！ 办理时限") == ["办理时限", "12345热线"]
    assert written_forms("12345热线") == ("12345热线", "12345熱線", "１２３４５热线")
    assert written_forms("办理时限") == ("办理时限", "辦理時限")
    assert match_form("办理 时限\n为十个 工作日") == "办理时限为十个工作日"


def test_a_body_with_the_exact_chunk_gains_and_more_occurrences_gain_more() -> None:
    bodies = [match_form(b) for b in ("办理的时限", "办理时限为五日", "办理时限为五日，辦理時限可延长")]
    scores = rescored([1.0, 1.0, 1.0], [Field(bodies, [("办理时限", 2.0)], 1.5)])
    assert scores[0] == 1.0 and 1.0 < scores[1] < scores[2]  # the traditional occurrence counts too
    assert rescored([2.0, 1.0], [Field(bodies[:2], [], 1.5)]) == [2.0, 1.0]
    titles = [match_form(t) for t in ("办理时限说明", "其他")]
    both = rescored([1.0, 1.0], [Field(titles, [("办理时限", 2.0)], 4.0), Field(bodies[1:], [("办理时限", 2.0)], 1.5)])
    assert both[0] > both[1] > 1.0  # a title occurrence weighs more than a body one


async def test_an_exact_chunk_in_the_body_outranks_the_same_words_apart(engine: TantivyEngine) -> None:
    # the words apart, shorter and repeated, score higher on words alone
    apart = doc("apart", "通知", "保障卡，办理。保障卡，办理。")
    exact = doc("exact", "通知", "本市社会保障卡办理流程见附件，请按时前往窗口提交材料。")
    await engine.upsert([apart, exact])
    assert ids(await engine.search(SearchRequest(query="保障卡办理"))) == [exact.id, apart.id]


async def test_paging_through_many_matches_neither_repeats_nor_skips(engine: TantivyEngine) -> None:
    # 160 matches of both words, every third with them together: the re-ranked window, the rest below it
    docs = [
        doc(
            f"d{i:03}",
            f"第{i}号通知",
            ("社会保障卡办理" if i % 3 == 0 else "社会保障卡的办理") + "流程。" * (i % 7 + 1),
        )
        for i in range(160)
    ]
    await engine.upsert(docs)
    query = "保障卡办理"
    paged: list[str] = []
    for page in range(16):
        paged += ids(await engine.search(SearchRequest(query=query, offset=page * 10, limit=10)))
    assert len(paged) == len(set(paged)) == 160
    assert paged[:100] == ids(await engine.search(SearchRequest(query=query, limit=100)))
    small: list[str] = []  # pages of another size list the same documents in the same order
    for page in range(23):
        small += ids(await engine.search(SearchRequest(query=query, offset=page * 7, limit=7)))
    assert small == paged
    # among the re-ranked window, the documents with the exact chunk lead
    exact = {d.id for i, d in enumerate(docs) if i % 3 == 0}
    head = paged[:RESCORE_WINDOW]
    assert {i for i in head[:20]} <= exact
    assert [i for i in head if i in exact] == head[: len([i for i in head if i in exact])]

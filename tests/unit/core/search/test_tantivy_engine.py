"""What only the tantivy engine promises: reopening, generations on disk, the single writer, pinning."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from core.errors import Invalid, Upstream
from core.search import SearchRequest, build_engine
from core.search.models import Copy
from core.search.tantivy_engine import TantivyEngine
from core.search.tantivy_store import POINTER
from tests.unit.core.search.search_contract import ALL, BANK, FARM, NOTICE, doc, ids

HEAP = 15_000_000


def generations(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "search" / "documents").iterdir() if p.name.startswith("gen-"))


async def test_a_reopened_index_still_finds_chinese_words(tmp_path: Path, engine: TantivyEngine) -> None:
    await engine.upsert(ALL)
    await engine.close()
    again = TantivyEngine(tmp_path, writer_heap_bytes=HEAP)
    await again.open()
    try:
        assert BANK.id in ids(await again.search(SearchRequest(query="农业")))
    finally:
        await again.close()


async def test_a_hit_lists_the_copies_its_document_carries(engine: TantivyEngine) -> None:
    copies = [Copy("https://county.example.gov.cn/zcwj/9.html", "county"), Copy("https://b.example.gov.cn/1", "b")]
    await engine.upsert([replace(NOTICE, copies=copies), BANK])
    found = {h.id: h for h in (await engine.search(SearchRequest(query="农业"))).hits}
    assert found[NOTICE.id].copies == tuple(copies) and found[BANK.id].copies == ()
    assert (await engine.search(SearchRequest(query="county"))).total == 0, "copies are shown, never searched"


async def test_only_one_writer_holds_the_index(tmp_path: Path, engine: TantivyEngine) -> None:
    await engine.upsert([BANK])
    other = TantivyEngine(tmp_path, writer_heap_bytes=HEAP)
    await other.open()
    try:
        with pytest.raises(Upstream, match="locked"):
            await other.upsert([FARM])
        assert await other.count() == 1, "readers never need the writer lock"
    finally:
        await other.close()


async def test_writes_during_a_rebuild_reach_the_new_generation(tmp_path: Path, engine: TantivyEngine) -> None:
    await engine.upsert([BANK])
    rebuild = await engine.begin_rebuild()
    await rebuild.upsert([NOTICE])
    await engine.upsert([FARM])
    await engine.delete([NOTICE.id])
    await rebuild.commit_and_swap()
    assert sorted(ids(await engine.search(SearchRequest(limit=10)))) == sorted([FARM.id])


async def test_swaps_keep_only_the_live_and_previous_generations(tmp_path: Path, engine: TantivyEngine) -> None:
    first = generations(tmp_path)
    for round_ in range(3):
        rebuild = await engine.begin_rebuild()
        await rebuild.upsert([doc(f"r{round_}", f"第{round_}轮农业文件")])
        await rebuild.commit_and_swap()
    left = generations(tmp_path)
    assert len(left) == 2 and first[0] not in left
    live = (tmp_path / "search" / "documents" / POINTER).read_text().strip()
    assert live in left and await engine.count() == 1


async def test_an_aborted_rebuild_leaves_the_live_index_alone(tmp_path: Path, engine: TantivyEngine) -> None:
    await engine.upsert([BANK])
    before = generations(tmp_path)
    rebuild = await engine.begin_rebuild()
    await rebuild.upsert([FARM])
    await rebuild.abort()
    assert generations(tmp_path) == before
    assert ids(await engine.search(SearchRequest(query="农业"))) == [BANK.id]
    again = await engine.begin_rebuild()  # a new rebuild may start once the last one ended
    await again.abort()


async def test_an_index_of_another_schema_version_is_set_aside_and_a_rebuild_owed(tmp_path: Path) -> None:
    root = tmp_path / "search" / "documents"
    root.mkdir(parents=True)
    (root / "gen-v0-1-1").mkdir()
    (root / POINTER).write_text("gen-v0-1-1\n")
    engine = TantivyEngine(tmp_path, writer_heap_bytes=HEAP)
    await engine.open()  # an empty index of this schema answers meanwhile (the writer rebuilds: workers/search_writer)
    assert engine.rebuild_owed and (root / POINTER).read_text().strip() != "gen-v0-1-1"
    assert ids(await engine.search(SearchRequest(query="农业"))) == []
    rebuild = await engine.begin_rebuild()
    await rebuild.upsert([BANK])
    await rebuild.commit_and_swap()
    assert ids(await engine.search(SearchRequest(query="农业"))) == [BANK.id]
    assert not engine.rebuild_owed, "a finished rebuild pays what was owed"
    await engine.close()


async def test_pinned_documents_lead_for_their_query(engine: TantivyEngine) -> None:
    pinned = doc("pinned", "社会保障卡申领指南", "办理流程。", pinned_terms=["社保 卡"])
    await engine.upsert([*ALL, pinned, doc("other", "社保卡挂失", "社保卡社保卡社保卡。")])
    result = await engine.search(SearchRequest(query="社保  卡"))
    assert ids(result)[0] == pinned.id


async def test_title_matches_outrank_body_matches(engine: TantivyEngine) -> None:
    in_title = doc("t", "农业补贴发放公告", "详见附件。")
    in_body = doc("b", "公告", "本公告涉及农业补贴。")
    await engine.upsert([in_body, in_title])
    assert ids(await engine.search(SearchRequest(query="农业补贴"))) == [in_title.id, in_body.id]


async def test_a_huge_query_is_answered_quickly(engine: TantivyEngine) -> None:
    await engine.upsert(ALL)
    started = time.perf_counter()
    await engine.search(SearchRequest(query="农业发展银行政务公开" * 1000))
    assert time.perf_counter() - started < 3


async def test_requests_are_validated(engine: TantivyEngine) -> None:
    with pytest.raises(Invalid):
        await engine.search(SearchRequest(filters={"title": ["x"]}))
    with pytest.raises(Invalid):
        await engine.search(SearchRequest(limit=1000))
    with pytest.raises(Invalid):
        await engine.search(SearchRequest(sort="random"))  # type: ignore[arg-type]


def test_build_engine_picks_the_engine(tmp_path: Path) -> None:
    assert isinstance(
        build_engine("tantivy", data_dir=tmp_path, meilisearch_url=None, meilisearch_key=None), TantivyEngine
    )
    with pytest.raises(Invalid):
        build_engine("meilisearch", data_dir=tmp_path, meilisearch_url=None, meilisearch_key=None)
    with pytest.raises(Invalid):
        build_engine("lucene", data_dir=tmp_path, meilisearch_url=None, meilisearch_key=None)

"""A tantivy index split into shards answers as one index would: every document once, totals and facets
summed, pages that neither repeat nor skip, date order across shards; older one-index generations still
open; a shard locked by someone else blocks writing without keeping the others locked."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import tantivy

from core.errors import Invalid, Upstream
from core.search import SearchRequest
from core.search.models import MAX_FACET_VALUES
from core.search.tantivy_engine import TantivyEngine
from core.search.tantivy_schema import SCHEMA_VERSION, build_schema, to_tantivy
from core.search.tantivy_shards import merge_facets, shard_facet_size
from core.search.tantivy_store import DEFAULT_SHARDS, POINTER, shard_of
from core.settings import Settings
from tests.unit.core.search.search_contract import ALL, BANK, doc, ids

HEAP = 15_000_000
DAY0 = date(2020, 1, 1)
# 60 documents about 农业 on different days, in four sites and two kinds, spread over the shards by id
DOCS = [
    doc(
        f"farm-{i}",
        f"农业补贴第{i}号公告",
        "农业补贴发放。" * (1 + i % 5),
        site=f"site-{i % 4}",
        kind="notice" if i % 3 else "policy",
        published_at=DAY0 + timedelta(days=7 * i),
    )
    for i in range(60)
]


def shard_dirs(tmp_path: Path) -> list[str]:
    root = tmp_path / "search" / "documents"
    generation = root / (root / POINTER).read_text().strip()
    return sorted(p.name for p in generation.iterdir() if p.is_dir())


async def opened(tmp_path: Path, shards: int) -> TantivyEngine:
    engine = TantivyEngine(tmp_path, writer_heap_bytes=HEAP, shards=shards)
    await engine.open()
    return engine


async def test_documents_spread_over_the_shards_and_are_found_in_all_of_them(tmp_path: Path) -> None:
    engine = await opened(tmp_path, 3)
    try:
        await engine.upsert(DOCS)
        assert shard_dirs(tmp_path) == ["shard-0", "shard-1", "shard-2"]
        assert {shard_of(d.id, 3) for d in DOCS} == {0, 1, 2}, "the test documents reach every shard"
        assert await engine.count() == 60
        result = await engine.search(SearchRequest(query="农业补贴", limit=100))
        assert result.total == 60 and sorted(ids(result)) == sorted(d.id for d in DOCS)
        assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
        await engine.upsert(DOCS[:10])  # again: still one copy each, whichever shard holds it
        await engine.delete([DOCS[-1].id])
        assert await engine.count() == 59
        assert (await engine.search(SearchRequest(query="农业补贴", limit=0))).total == 59
    finally:
        await engine.close()


async def test_pages_over_shards_neither_repeat_nor_skip(tmp_path: Path) -> None:
    engine = await opened(tmp_path, 2)
    try:
        await engine.upsert(DOCS)
        for sort in ("relevance", "date_desc", "date_asc"):
            seen: list[str] = []
            for offset in range(0, 60, 7):
                page = await engine.search(SearchRequest(query="农业补贴", offset=offset, limit=7, sort=sort))  # type: ignore[arg-type]
                seen += ids(page)
            assert len(seen) == 60 and set(seen) == {d.id for d in DOCS}, sort
        newest = await engine.search(SearchRequest(query="农业", sort="date_desc", limit=5))
        assert ids(newest) == [d.id for d in DOCS[::-1][:5]], "the newest five, whatever shard they are in"
        oldest = await engine.search(SearchRequest(query="农业", sort="date_asc", limit=5))
        assert ids(oldest) == [d.id for d in DOCS[:5]]
    finally:
        await engine.close()


async def test_facets_and_totals_add_up_over_shards_as_in_one_index(tmp_path: Path) -> None:
    one, two = await opened(tmp_path / "one", 1), await opened(tmp_path / "two", 2)
    try:
        for engine in (one, two):
            await engine.upsert(DOCS + ALL)
        for query in ("农业补贴", "农业", "银行", "", "农业 量子纠缠"):
            req = SearchRequest(query=query, facets=["site", "kind", "year"], limit=100)
            a, b = await one.search(req), await two.search(req)
            assert (a.total, a.facets) == (b.total, b.facets), query
            assert sorted(ids(a)) == sorted(ids(b)), query
        assert await one.vocabulary(50) == await two.vocabulary(50)
        assert sorted(await one.titles(100)) == sorted(await two.titles(100))
        assert ids(await two.search(SearchRequest(query="春耕贷款")))[0] == BANK.id
    finally:
        await one.close()
        await two.close()


async def test_a_generation_from_before_shards_opens_and_a_rebuild_splits_it(tmp_path: Path) -> None:
    root = tmp_path / "search" / "documents"
    generation = root / f"gen-v{SCHEMA_VERSION}-1-1"
    generation.mkdir(parents=True)
    index = tantivy.Index(build_schema(), path=str(generation))  # the old layout: one index, no shard dirs
    writer = index.writer(heap_size=HEAP, num_threads=1)
    writer.add_document(to_tantivy(BANK))
    writer.commit()
    writer.wait_merging_threads()
    (root / POINTER).write_text(f"{generation.name}\n")
    engine = await opened(tmp_path, 2)
    try:
        assert ids(await engine.search(SearchRequest(query="农业"))) == [BANK.id]
        await engine.upsert(DOCS[:5])  # written into the old layout's one index
        assert await engine.count() == 6
        rebuild = await engine.begin_rebuild()
        await rebuild.upsert([BANK, *DOCS[:5]])
        await rebuild.commit_and_swap()
        assert shard_dirs(tmp_path) == ["shard-0", "shard-1"]
        assert await engine.count() == 6
        assert ids(await engine.search(SearchRequest(query="农业发展银行"))) == [BANK.id]
    finally:
        await engine.close()


async def test_a_generation_missing_a_shard_asks_for_a_rebuild(tmp_path: Path) -> None:
    engine = await opened(tmp_path, 2)
    await engine.close()
    root = tmp_path / "search" / "documents"
    generation = root / (root / POINTER).read_text().strip()
    (generation / "shard-1").rename(generation / "moved-away")
    again = TantivyEngine(tmp_path, writer_heap_bytes=HEAP)
    with pytest.raises(Upstream, match="reindex"):
        await again.open()


async def test_a_shard_locked_elsewhere_blocks_writes_and_releases_the_others(tmp_path: Path) -> None:
    engine = await opened(tmp_path, 2)
    try:
        root = tmp_path / "search" / "documents"
        shard1 = root / (root / POINTER).read_text().strip() / "shard-1"
        intruder = tantivy.Index.open(str(shard1)).writer(heap_size=HEAP, num_threads=1)
        with pytest.raises(Upstream, match="locked"):
            await engine.upsert([BANK])
        intruder.wait_merging_threads()  # gone: the engine must not have kept shard 0 locked meanwhile
        await engine.upsert(DOCS)
        assert await engine.count() == 60
    finally:
        await engine.close()


def test_the_shard_count_is_checked() -> None:
    assert Settings.from_env({}).search_shards == DEFAULT_SHARDS, "the setting and the engine agree"
    assert Settings.from_env({"SEARCH_SHARDS": "4"}).search_shards == 4
    for bad in ("0", "17"):
        with pytest.raises(Invalid, match="SEARCH_SHARDS"):
            Settings.from_env({"SEARCH_SHARDS": bad})
    with pytest.raises(ValueError, match="shards"):
        TantivyEngine(Path("/nonexistent"), shards=0)


def test_facet_counts_of_shards_are_summed_and_cut_after_the_merge() -> None:
    # 150 sites: shard one reports site-0..site-149 once each, shard two site-149 120 times; the merge
    # sums before it cuts, so site-149 (last in one shard, first in the other) leads with 121
    one = {"site": [(f"site-{i:03}", 1) for i in range(150)]}
    two = {"site": [("site-149", 120)], "kind": [("news", 2)]}
    merged = merge_facets([one, two], ["site", "kind"])
    assert merged["site"][0] == ("site-149", 121)
    assert len(merged["site"]) == MAX_FACET_VALUES and merged["site"][1] == ("site-000", 1)
    assert merged["kind"] == [("news", 2)]
    assert shard_facet_size(1) == MAX_FACET_VALUES < shard_facet_size(2)

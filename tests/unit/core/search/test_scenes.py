"""Scenes (办事服务, 政策文件, …) come from one ranked search when they can, and are never short of hits."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import Invalid
from core.search import SearchRequest, SearchResult
from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine
from tests.unit.core.search.search_contract import doc, ids

KINDS = ["service", "policy", "interpretation", "news", "qa", "notice"]


def mixed(n: int) -> list:
    return [
        doc(f"m{i}", f"社会保障卡{'申领' if i % 4 else ''}通知{i}", "社会保障卡办理。" * (1 + i % 5),
            kind=KINDS[i % 6], published_at=date(2020, 1 + i % 12, 1 + i % 28))
        for i in range(n)
    ]  # fmt: skip


async def test_groups_are_the_best_of_each_kind_in_rank_order(engine: TantivyEngine) -> None:
    await engine.upsert(mixed(40))
    result = await engine.search(SearchRequest(query="社会保障卡", group_by="kind", group_size=3))
    assert set(result.groups) == set(KINDS)
    for kind, hits in result.groups.items():
        alone = await engine.search(SearchRequest(query="社会保障卡", filters={"kind": [kind]}, limit=3))
        assert [h.id for _, h in hits] == ids(alone)
    with pytest.raises(Invalid, match="unknown"):
        await engine.search(SearchRequest(query="社会保障卡", group_by="colour", group_size=3))


class Counting:
    """The engine, counting the searches made through it."""

    def __init__(self, engine: TantivyEngine) -> None:
        self.engine, self.searches = engine, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.engine, name)

    async def search(self, req: SearchRequest) -> SearchResult:
        self.searches += 1
        return await self.engine.search(req)


async def test_scenes_show_the_same_hits_as_searching_each_scene_alone(engine: TantivyEngine) -> None:
    await engine.upsert(mixed(40))
    counting = Counting(engine)
    service = SearchService(counting)  # type: ignore[arg-type]
    try:
        outcome = await service.search("社会保障卡")
        assert counting.searches == 1  # every scene came from the main search's window
        by_date = await service.search("社会保障卡", sort="date_desc")
    finally:
        await service.close()
    news = next(s for s in by_date.scenes if s.key == "news")  # by date, each scene is searched alone
    dates = [h.hit.published_at or date.min for h in news.hits]
    assert len(news.hits) == 3 and dates == sorted(dates, reverse=True) and date.min not in dates
    scenes = {s.key: s for s in outcome.scenes}
    assert scenes["service"].count == 7 and scenes["dataset"].count == 0 and scenes["dataset"].hits == []
    for key, kinds in (("service", ["service"]), ("policy", ["policy"]), ("news", ["news", "notice", "article"])):
        alone = await engine.search(SearchRequest(query="社会保障卡", filters={"kind": kinds}, limit=3))
        assert [h.hit.id for h in scenes[key].hits] == ids(alone)


async def test_a_kind_ranked_below_the_window_is_searched_on_its_own(engine: TantivyEngine) -> None:
    # 130 news items name the query in their titles; five datasets only in their bodies, below all of them
    news = [doc(f"n{i}", f"社会保障卡新闻{i}", "社会保障卡。", kind="news") for i in range(130)]
    datasets = [
        doc(f"d{i}", f"统计数据{i}", "含社会保障卡发放数量。" + "其他字段说明。" * 30, kind="dataset") for i in range(5)
    ]
    await engine.upsert(news + datasets)
    window = await engine.search(SearchRequest(query="社会保障卡", group_by="kind", group_size=3))
    assert "dataset" not in window.groups  # not among the ranked window
    service = SearchService(engine)
    try:
        outcome = await service.search("社会保障卡")
    finally:
        await service.close()
    data = next(s for s in outcome.scenes if s.key == "dataset")
    assert data.count == 5 and len(data.hits) == 3 and all(h.hit.kind == "dataset" for h in data.hits)

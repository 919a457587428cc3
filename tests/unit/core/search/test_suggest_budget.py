"""Suggest answers within a keystroke's time: titles fill completions only within their budget."""

from __future__ import annotations

import asyncio
import time

from core.search import SearchRequest, SearchResult
from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine
from tests.unit.core.search.test_scenes import Counting, mixed


class Slow(Counting):
    """The engine, answering every search only after 200 ms."""

    async def search(self, req: SearchRequest) -> SearchResult:
        await asyncio.sleep(0.2)  # not a wait: an engine slower than the title budget
        return await super().search(req)


async def test_suggest_fills_with_titles_within_its_budget_and_never_waits_past_it(engine: TantivyEngine) -> None:
    await engine.upsert(mixed(10))
    generous = SearchService(engine, title_budget_s=5.0)
    slow = SearchService(Slow(engine), title_budget_s=0.02)  # type: ignore[arg-type]
    try:
        assert any(s.source == "title" for s in await generous.suggest("社会保障卡申", 8))
        await slow.cache.get()  # the vocabulary is built once per refresh, not per keystroke
        started = time.perf_counter()
        out = await slow.suggest("社会保障卡申", 8)
        assert time.perf_counter() - started < 0.15 and not any(s.source == "title" for s in out)
    finally:
        await generous.close()
        await slow.close()

"""While documents keep arriving, the API process rebuilds its vocabulary only as often as REBUILD_SHARE allows."""

from __future__ import annotations

from core.search import SearchRequest
from core.search.lexicon_cache import REBUILD_SHARE, LexiconCache
from core.search.popularity import QueryTally
from core.search.signing import Signer
from core.search.tantivy_engine import TantivyEngine
from core.textzh.sensitive import SensitiveFilter
from tests.unit.core.search.search_contract import doc
from tests.unit.core.search.test_scenes import Counting, mixed

BUILD_S = 1.0  # what reading a large index's vocabulary takes: simulated on the test's clock


class Clock:
    """The cache's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class LargeIndex(Counting):
    """The real engine, whose vocabulary takes BUILD_S to read (on the test's clock), and counted."""

    def __init__(self, engine: TantivyEngine, clock: Clock) -> None:
        super().__init__(engine)
        self.clock, self.reads = clock, 0

    async def vocabulary(self, limit: int) -> list[tuple[str, int]]:
        self.reads += 1
        self.clock.now += BUILD_S
        return await self.engine.vocabulary(limit)


async def test_a_moving_index_rebuilds_the_vocabulary_at_most_its_share_of_the_time(engine: TantivyEngine) -> None:
    await engine.upsert(mixed(10))
    clock = Clock()
    index = LargeIndex(engine, clock)
    cache = LexiconCache(index, None, tally=QueryTally(Signer(None), SensitiveFilter.default()), monotonic=clock)  # type: ignore[arg-type]
    assert (await cache.get()).lexicon.doc_count == 10 and index.reads == 1
    wait = BUILD_S * (1 / REBUILD_SHARE - 1)  # 19 s after a rebuild of 1 s
    for i in range(3):  # a crawl goes on: the index changes at every check
        await engine.upsert([doc(f"new{i}", f"养老服务补贴申领{i}", "养老服务补贴")])
        clock.now += wait / 4
        await cache.refresh()
        assert index.reads == 1 and (await cache.get()).lexicon.doc_count == 10
    # the new documents are found meanwhile: only the vocabulary of query understanding waits
    assert (await engine.search(SearchRequest(query="养老服务补贴申领"))).total == 3
    clock.now += wait / 4
    await cache.refresh()
    assert index.reads == 2 and (await cache.get()).lexicon.doc_count == 13
    await cache.close()

"""A flood of anonymous searches stays inside YW_SEARCH's byte cap (oldest dropped); work streams drop nothing.

Runs its own NATS server: the caps here are small on purpose and would disturb the session's streams.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.js.api import DiscardPolicy, StreamConfig

from core.bus import Bus, PageFetched
from core.bus.client import SEARCH_DUPLICATE_WINDOW_S, STREAM_MAX_AGE_S
from core.errors import Upstream
from core.settings import Settings
from ops.embedded import EmbeddedServices
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql
from tests.polling import eventually

pytestmark = pytest.mark.integration

SEARCH_CAP = 64 * 1024


@pytest.fixture
async def own_nats(settings: Settings, tmp_path: Path) -> AsyncIterator[Settings]:
    services = EmbeddedServices(tmp_path / "nats")
    url = services.start(postgres=False, nats=True)["nats"].url
    try:
        yield dataclasses.replace(settings, nats_url=url, stream_max_bytes_search=SEARCH_CAP)
    finally:
        services.stop()


async def test_a_search_flood_is_capped_and_crawl_pages_still_publish(own_nats: Settings) -> None:
    bus = await Bus(own_nats, name="limits").connect()
    try:
        # streams made by an older release (no byte cap) are updated in place
        await bus.js.add_stream(StreamConfig(name="YW_SEARCH", subjects=["yw.search.>", "yw.click.>"], max_age=60))
        await bus.js.add_stream(StreamConfig(name="YW_CRAWL", subjects=["yw.crawl.>"], max_age=60))
        async with serve_api(own_nats, rate_limit_per_min=0) as api:
            info = await bus.js.stream_info("YW_SEARCH")
            assert (info.config.max_bytes, info.config.discard) == (SEARCH_CAP, DiscardPolicy.OLD)
            assert info.config.max_age == STREAM_MAX_AGE_S
            # each search and click leaves its id in NATS's memory for the window: two minutes, not an hour
            assert info.config.duplicate_window == SEARCH_DUPLICATE_WINDOW_S
            crawl = await bus.js.stream_info("YW_CRAWL")
            assert (crawl.config.max_bytes, crawl.config.discard) == (-1, DiscardPolicy.NEW)
            assert crawl.config.duplicate_window == own_nats.stream_duplicate_window_s == 3600
            query = "query($q: String!) { search(query: $q) { total } }"

            async def flood(worker: int) -> None:
                for i in range(50):
                    await gql(api, query, {"q": f"灌水{worker}号{i} " + "字" * 100}, token=None)

            await asyncio.gather(*(flood(w) for w in range(8)))  # 400 searches, each about 1 KB logged

            async def state() -> tuple[int, int]:
                s = (await bus.js.stream_info("YW_SEARCH")).state
                return s.bytes, s.first_seq

            # events are published in the background of each search
            size, _ = await eventually(state, lambda s: s[1] > 1, timeout=20, what="old searches dropped")
            assert size <= SEARCH_CAP
        page = PageFetched(site_id="s", url="http://127.0.0.1:1/a", status=200, content_hash="h", fetched_at="")
        assert await bus.publish(page) >= 1
    finally:
        await bus.close()


async def test_a_full_work_stream_makes_publishers_wait_and_drops_nothing(own_nats: Settings) -> None:
    capped = dataclasses.replace(own_nats, stream_max_bytes=16 * 1024)
    bus = await Bus(capped, name="limits", max_publish_wait_s=1.0).connect()
    try:
        await bus.ensure_streams()
        info = await bus.js.stream_info("YW_CRAWL")
        assert (info.config.max_bytes, info.config.discard) == (16 * 1024, DiscardPolicy.NEW)
        sent = 0
        with pytest.raises(Upstream, match="could not publish"):
            for i in range(100):
                page = PageFetched(
                    site_id="s",
                    url=f"http://127.0.0.1:1/{i}",
                    status=200,
                    content_hash=str(i),
                    fetched_at="",
                    text="页" * 1000,
                )
                await bus.publish(page)
                sent += 1
        state = (await bus.js.stream_info("YW_CRAWL")).state
        assert 0 < sent < 100 and (state.first_seq, state.messages) == (1, sent)
    finally:
        await bus.close()

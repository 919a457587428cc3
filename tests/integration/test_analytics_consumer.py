"""The analytics consumer end to end: events published on NATS become counters in Postgres and live nudges."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.analytics import Window, hot_queries, search_stats
from core.bus import Bus, ConsumerRunner, HotQueriesUpdated, ResultClicked, SearchLogged
from tests.polling import eventually, until_delivered
from workers.analytics import AnalyticsConsumer

pytestmark = pytest.mark.integration

NOW = datetime(2031, 5, 20, 9, 45, tzinfo=UTC)
SITE = "an-bus"


@contextlib.asynccontextmanager
async def running(pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[ConsumerRunner]:
    runner = ConsumerRunner(bus, AnalyticsConsumer(pool, bus, clock=lambda: NOW), batch=50, max_deliver=2,
                            ack_wait_s=5)  # fmt: skip
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        runner.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_published_searches_and_clicks_are_counted_and_announced(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    nudges: list[HotQueriesUpdated] = []
    probe = HotQueriesUpdated(searches=0, clicks=0, at="probe", site=SITE)  # tells that the listener is live
    probes: list[HotQueriesUpdated] = []

    async def listen() -> None:
        async for event in bus.live(HotQueriesUpdated, f"{HotQueriesUpdated.SUBJECT}.{SITE}"):
            (probes if event == probe else nudges).append(event)

    listener = asyncio.create_task(listen())
    await until_delivered(lambda: bus.notify(probe), lambda: bool(probes))
    searches = [SearchLogged(search_id=f"bus-{i}", query="不动产登记" if i % 3 else "老年证", total=0 if i == 7 else 9,
                             at=(NOW - timedelta(minutes=i)).isoformat(), site=SITE, source="portal")
                for i in range(120)]  # fmt: skip
    # Clicks published first for some searches: the consumer sees them before their searches.
    clicks = [ResultClicked(search_id=f"bus-{i}", document_id="d", position=3, at=NOW.isoformat()) for i in range(10)]
    async with running(pg_pool, bus) as runner:
        for event in [*clicks, *searches]:
            await bus.publish(event)
        await bus.js.publish(f"{SearchLogged.SUBJECT}.{SITE}", b"{not json")

        async def all_counted() -> bool:
            stats = await search_stats(pg_pool, window=Window.DAY, now=NOW, site=SITE)
            return stats.searches == 120 and stats.clicks == 10

        async def malformed_dead_lettered() -> bool:
            return runner.stats.dead_lettered == 1

        await eventually(all_counted, timeout=15, what="every search and click counted")
        await eventually(malformed_dead_lettered, timeout=15, what="the malformed event dead-lettered")
    listener.cancel()
    hot = await hot_queries(pg_pool, window=Window.DAY, now=NOW, limit=5, site=SITE)
    assert [(q.query, q.searches) for q in hot] == [("不动产登记", 80), ("老年证", 40)]
    stats = await search_stats(pg_pool, window=Window.DAY, now=NOW, site=SITE)
    assert (stats.zero_results, stats.mean_click_position, stats.click_through_rate) == (1, 3.0, 10 / 120)
    assert nudges and sum(n.searches for n in nudges) == 120 and all(n.site == SITE for n in nudges)

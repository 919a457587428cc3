"""Search analytics against real Postgres: counting, windows, rates, and idempotence under redelivery."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.analytics import (
    Activity,
    Window,
    apply_events,
    hot_queries,
    query_trend,
    rising_queries,
    search_stats,
    zero_result_queries,
)
from core.bus import ResultClicked, SearchLogged
from core.errors import Invalid

pytestmark = pytest.mark.integration

NOW = datetime(2031, 3, 10, 14, 30, tzinfo=UTC)  # a clock of our own: no other test writes near it
_ids = itertools.count()


def search(query: str, *, site: str, total: int = 5, at: datetime = NOW, source: str = "portal",
           search_id: str | None = None) -> SearchLogged:  # fmt: skip
    return SearchLogged(search_id=search_id or f"s{next(_ids)}", query=query, total=total, at=at.isoformat(),
                        site=site, source=source)  # fmt: skip


def click(s: SearchLogged, position: int, document: str = "doc-1") -> ResultClicked:
    return ResultClicked(search_id=s.search_id, document_id=document, position=position, at=s.at)


async def apply(pool: asyncpg.Pool, events: Sequence[Activity]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await apply_events(conn, events)


async def test_hot_queries_are_counted_under_their_folded_form(pg_pool: asyncpg.Pool) -> None:
    site = "an-hot"
    events = [search("公积金提取", site=site) for _ in range(4)] + [search("公積金提取", site=site)]
    events += [search("ＧＪＪ  查询", site=site), search("gjj 查询", site=site), search("护照", site=site)]
    await apply(pg_pool, events)
    hot = await hot_queries(pg_pool, window=Window.HOUR, now=NOW, limit=2, site=site)
    assert [(q.query, q.searches) for q in hot] == [("公积金提取", 5), ("gjj 查询", 2)]
    assert len(await hot_queries(pg_pool, window=Window.HOUR, now=NOW, limit=10, site="an-nobody")) == 0


async def test_stats_rates_and_mean_click_position(pg_pool: asyncpg.Pool) -> None:
    site = "an-stats"
    found = [search("社保查询", site=site) for _ in range(6)]
    nothing = [search("不存在的事项", site=site, total=0, source="suggest") for _ in range(2)]
    # Two searches clicked: one at positions 1 and 3 (two documents), one at position 2.
    clicks = [click(found[0], 1, "a"), click(found[0], 3, "b"), click(found[1], 2, "a")]
    await apply(pg_pool, [*found, *nothing, *clicks])
    stats = await search_stats(pg_pool, window=Window.DAY, now=NOW, site=site)
    assert (stats.searches, stats.zero_results, stats.clicks, stats.distinct_queries) == (8, 2, 3, 2)
    assert stats.zero_result_rate == pytest.approx(0.25)
    assert stats.click_through_rate == pytest.approx(2 / 8)
    assert stats.mean_click_position == pytest.approx(2.0)
    by_source = {s.source: s for s in stats.by_source}
    assert by_source["portal"].searches == 6 and by_source["portal"].click_through_rate == pytest.approx(2 / 6)
    assert by_source["suggest"].zero_result_rate == 1.0
    zero = await zero_result_queries(pg_pool, window=Window.DAY, now=NOW, site=site)
    assert [(q.query, q.zero_results) for q in zero] == [("不存在的事项", 2)]


async def test_windows_follow_the_clock(pg_pool: asyncpg.Pool) -> None:
    site = "an-windows"
    await apply(pg_pool, [search("此刻", site=site, at=NOW - timedelta(minutes=20)),
                          search("两小时前", site=site, at=NOW - timedelta(hours=2)),
                          search("三天前", site=site, at=NOW - timedelta(days=3)),
                          search("十天前", site=site, at=NOW - timedelta(days=10))])  # fmt: skip

    async def seen(window: Window, now: datetime = NOW) -> set[str]:
        return {q.query for q in await hot_queries(pg_pool, window=window, now=now, limit=10, site=site)}

    assert await seen(Window.HOUR) == {"此刻"}
    assert await seen(Window.DAY) == {"此刻", "两小时前"}
    assert await seen(Window.WEEK) == {"此刻", "两小时前", "三天前"}
    assert await seen(Window.DAY, NOW + timedelta(days=1)) == set(), "a day later the day window has moved on"
    assert (await search_stats(pg_pool, window=Window.WEEK, now=NOW, site=site)).searches == 3


async def test_redelivered_and_duplicated_events_count_once(pg_pool: asyncpg.Pool) -> None:
    site = "an-redeliver"
    s1, s2 = search("营业执照", site=site), search("营业执照", site=site, total=0)
    batch = [s1, s2, s1, click(s1, 2), click(s1, 2)]
    await apply(pg_pool, batch)
    await apply(pg_pool, batch)  # the whole batch again, as after a crash before the ack
    await apply(pg_pool, [click(s1, 2), s2])
    stats = await search_stats(pg_pool, window=Window.HOUR, now=NOW, site=site)
    assert (stats.searches, stats.zero_results, stats.clicks) == (2, 1, 1)
    assert stats.click_through_rate == 0.5 and stats.mean_click_position == 2.0


async def test_a_click_before_its_search_counts_when_the_search_arrives(pg_pool: asyncpg.Pool) -> None:
    site = "an-order"
    early = search("居住证办理", site=site, at=NOW - timedelta(hours=3))
    await apply(pg_pool, [click(early, 4, "a"), click(early, 1, "b")])
    before = await search_stats(pg_pool, window=Window.DAY, now=NOW, site=site)
    assert (before.searches, before.clicks) == (0, 0), "a click without its search is held, not counted"
    await apply(pg_pool, [early])
    await apply(pg_pool, [click(early, 4, "a")])  # and redelivered once more afterwards
    stats = await search_stats(pg_pool, window=Window.DAY, now=NOW, site=site)
    assert (stats.searches, stats.clicks, stats.mean_click_position) == (1, 2, 2.5)
    assert stats.click_through_rate == 1.0
    trend = await query_trend(pg_pool, query="居住證辦理", window=Window.DAY, now=NOW, site=site)
    assert len(trend) == 24 and trend[-1].hour == NOW.replace(minute=0)
    assert [(p.searches, p.clicks) for p in trend if p.searches] == [(1, 2)]
    assert trend[-4].searches == 1, "counted in the hour of the search, not of the click"


async def test_concurrent_batches_still_attribute_clicks(pg_pool: asyncpg.Pool) -> None:
    site = "an-concurrent"
    searches = [search("医保报销", site=site) for _ in range(20)]
    clicks = [click(s, 1) for s in searches]
    await asyncio.gather(apply(pg_pool, searches), apply(pg_pool, clicks), apply(pg_pool, searches[:5]))
    stats = await search_stats(pg_pool, window=Window.HOUR, now=NOW, site=site)
    assert (stats.searches, stats.clicks, stats.click_through_rate) == (20, 20, 1.0)


async def test_rising_queries_grow_against_the_previous_window(pg_pool: asyncpg.Pool) -> None:
    site = "an-rising"
    now = NOW.replace(minute=59)  # the current hour is (almost) whole
    last_hour = now - timedelta(hours=1)
    events = [search("高温补贴", site=site, at=now) for _ in range(8)] + [search("高温补贴", site=site, at=last_hour)]
    events += [search("公积金", site=site, at=t) for t in (now, now, now, last_hour, last_hour, last_hour)]
    events += [search("新政策", site=site, at=now) for _ in range(3)]
    events += [search("落户", site=site, at=now - timedelta(minutes=1))]  # once: below the minimum
    await apply(pg_pool, events)
    rising = await rising_queries(pg_pool, window=Window.HOUR, now=now, limit=10, site=site)
    assert [r.query for r in rising] == ["高温补贴", "新政策"], "公积金 is steady, 落户 too rare"
    assert (rising[0].searches, rising[0].previous) == (8, 1) and rising[0].growth > 4


async def test_limits_are_checked(pg_pool: asyncpg.Pool) -> None:
    with pytest.raises(Invalid, match="limit must be between 1 and 100"):
        await hot_queries(pg_pool, window=Window.DAY, now=NOW, limit=0)
    with pytest.raises(Invalid):
        await rising_queries(pg_pool, window=Window.DAY, now=NOW, limit=101)
    with pytest.raises(Invalid, match="window must be one of HOUR/DAY/WEEK"):
        Window.parse("MONTH")
    with pytest.raises(Invalid, match="ISO-8601"):
        await apply(pg_pool, [SearchLogged(search_id="bad-at", query="x", total=1, at="yesterday")])

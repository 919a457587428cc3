"""Search analytics over the real API: queries, argument errors, and hot queries pushed live while people search."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import Bus, ConsumerRunner, ResultClicked, SearchLogged
from tests.integration.crawling import add_site
from tests.integration.test_api import gql
from tests.polling import eventually
from workers.analytics import AnalyticsConsumer

pytestmark = pytest.mark.integration

SITE = "an-api"
HOT = 'query($l: Int!) { hotQueries(window: DAY, limit: $l, site: "an-api") { query searches clicks } }'


@pytest.fixture(scope="module", autouse=True)
async def stored_site(pg_pool: asyncpg.Pool) -> None:
    """Analytics of one site answer for stored sites (a typo is NOT_FOUND, not a site nobody searches)."""
    await add_site(pg_pool, {"id": SITE, "name": "分析测试站", "level": "市", "start_urls": ["https://an-api.gov.cn/"]})


@pytest.fixture(scope="module")
async def consumer(pg_pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[ConsumerRunner]:
    runner = ConsumerRunner(bus, AnalyticsConsumer(pg_pool, bus), batch=100, ack_wait_s=5)
    task = asyncio.create_task(runner.run())
    yield runner
    runner.stop()
    await asyncio.wait_for(task, timeout=10)


async def searched(bus: Bus, query: str, n: int, *, total: int = 3, prefix: str = "") -> list[SearchLogged]:
    now = datetime.now(UTC).isoformat()
    events = [SearchLogged(search_id=f"api-{prefix}{query}-{i}", query=query, total=total, at=now, site=SITE)
              for i in range(n)]  # fmt: skip
    for e in events:
        await bus.publish(e)
    return events


async def test_stats_hot_zero_and_rising_queries(api_url: str, bus: Bus, consumer: ConsumerRunner) -> None:
    found = await searched(bus, "人才公寓", 4, prefix="q")
    await searched(bus, "人才公寓申请条件2099", 2, total=0, prefix="q")
    await bus.publish(ResultClicked(search_id=found[0].search_id, document_id="d1", position=2,
                                    at=datetime.now(UTC).isoformat()))  # fmt: skip
    stats_query = """{ searchStats(window: DAY, site: "an-api") { searches zeroResults zeroResultRate clicks
        clickThroughRate meanClickPosition distinctQueries bySource { source searches } } }"""

    def clicked(out: dict[str, Any]) -> bool:
        return "errors" not in out and out["data"]["searchStats"]["clicks"] == 1

    out = await eventually(lambda: gql(api_url, stats_query), clicked)
    stats = out["data"]["searchStats"]
    assert (stats["searches"], stats["zeroResults"], stats["distinctQueries"]) == (6, 2, 2)
    assert stats["zeroResultRate"] == pytest.approx(1 / 3) and stats["clickThroughRate"] == pytest.approx(1 / 6)
    assert stats["meanClickPosition"] == 2.0 and stats["bySource"] == [{"source": "api", "searches": 6}]
    hot = (await gql(api_url, HOT, {"l": 1}))["data"]["hotQueries"]
    assert hot == [{"query": "人才公寓", "searches": 4, "clicks": 1}]
    zero = await gql(api_url, '{ zeroResultQueries(window: WEEK, site: "an-api") { query zeroResults } }')
    assert zero["data"]["zeroResultQueries"] == [{"query": "人才公寓申请条件2099", "zeroResults": 2}]
    rising = await gql(api_url, '{ risingQueries(window: DAY, limit: 5, site: "an-api") { query searches previous } }')
    assert {"query": "人才公寓", "searches": 4, "previous": 0} in rising["data"]["risingQueries"]
    trend = await gql(api_url, '{ queryTrend(query: "人才公寓", window: DAY, site: "an-api") { searches } }')
    assert len(trend["data"]["queryTrend"]) == 24 and trend["data"]["queryTrend"][-1]["searches"] == 4


async def test_a_search_confined_to_one_site_counts_for_that_site(
    api_url: str, pg_pool: asyncpg.Pool, consumer: ConsumerRunner
) -> None:
    """A site's own search box sends its site as a filter or a `site:` operator; its analytics counted nothing."""
    scoped = "an-api-scope"
    await add_site(pg_pool, {"id": scoped, "name": "分站", "level": "部门", "start_urls": ["https://scope.gov.cn/"]})
    for query in (
        '{ search(query: "分站搜索", filters: {site: ["an-api-scope"]}) { total } }',
        '{ search(query: "分站搜索 site:an-api-scope") { total } }',
        '{ search(query: "分站搜索", filters: {site: ["an-api-scope", "an-api"]}) { total } }',  # two: the group's
    ):
        assert "errors" not in await gql(api_url, query)
    stats = '{ searchStats(window: DAY, site: "an-api-scope") { searches zeroResults distinctQueries } }'
    out = await eventually(
        lambda: gql(api_url, stats), lambda out: out["data"]["searchStats"]["searches"] >= 2, timeout=15
    )
    # one query: `site:` confines the search, it is not a word of what was searched
    assert out["data"]["searchStats"] == {"searches": 2, "zeroResults": 2, "distinctQueries": 1}
    trend = '{ queryTrend(query: "分站搜索", window: HOUR%s) { searches } }'

    async def every_and_other() -> tuple[int, int]:  # the third search may be consumed after the first two
        every = (await gql(api_url, trend % ""))["data"]["queryTrend"][-1]["searches"]
        other = (await gql(api_url, trend % ', site: "an-api"'))["data"]["queryTrend"][-1]["searches"]
        return every, other

    # every site's searches of 分站搜索 (the one with `site:` too, counted as 分站搜索), and none for an-api
    counted = await eventually(every_and_other, lambda c: c[0] >= 3, timeout=15, what="the group's searches")
    assert counted == (3, 0), "the search of two sites counts for the group, not for one of them"


async def test_hot_and_rising_queries_count_the_words_without_search_operators(
    api_url: str, pg_pool: asyncpg.Pool, consumer: ConsumerRunner
) -> None:
    site = "an-api-words"
    await add_site(pg_pool, {"id": site, "name": "热词站", "level": "部门", "start_urls": ["https://words.gov.cn/"]})
    typed = [
        f"热搜归一 site:{site}",
        f'"热搜归一" site:{site}',
        f"热搜归一 -广州 type:service after:2020 site:{site}",
        f"title:热搜归一 site:{site}",
        f"  熱搜歸一  site:{site}",
    ]
    for query in typed:
        out = await gql(api_url, "query($q: String!) { search(query: $q) { total } }", {"q": query})
        assert "errors" not in out, out
    stats = f'{{ searchStats(window: DAY, site: "{site}") {{ searches distinctQueries }} }}'
    out = await eventually(lambda: gql(api_url, stats), lambda out: out["data"]["searchStats"]["searches"] == 5)
    assert out["data"]["searchStats"]["distinctQueries"] == 1
    lists = f"""{{ hotQueries(window: DAY, site: "{site}") {{ query searches }}
        risingQueries(window: DAY, site: "{site}") {{ query searches }}
        zeroResultQueries(window: DAY, site: "{site}") {{ query zeroResults }} }}"""
    out = (await gql(api_url, lists))["data"]
    assert out["hotQueries"] == [{"query": "热搜归一", "searches": 5}]
    assert out["risingQueries"] == [{"query": "热搜归一", "searches": 5}]
    assert out["zeroResultQueries"] == [{"query": "热搜归一", "zeroResults": 5}]
    trend = f'{{ queryTrend(query: "热搜归一 site:{site}", window: HOUR, site: "{site}") {{ searches }} }}'
    assert (await gql(api_url, trend))["data"]["queryTrend"][-1]["searches"] == 5


async def test_public_lists_leave_out_sensitive_words_and_blocked_queries(
    api_url: str, bus: Bus, pg_pool: asyncpg.Pool, consumer: ConsumerRunner
) -> None:
    """Hot and rising queries are public (a portal's 热门搜索, the big screen): three searches of an insult put it
    there. The web office's own lists still count everything."""
    site = "an-api-public"
    await add_site(pg_pool, {"id": site, "name": "公开", "level": "部门", "start_urls": ["https://public.gov.cn/"]})
    now = datetime.now(UTC).isoformat()
    for query, n in (("傻逼政府", 5), ("不宜展示的搜索", 4), ("公积金提取", 3)):
        for i in range(n):
            await bus.publish(SearchLogged(search_id=f"pub-{query}-{i}", query=query, total=0, at=now, site=site))
    blocked = await gql(api_url, 'mutation { blockSuggestion(query: "不宜展示的搜索") }')
    assert "errors" not in blocked, blocked
    stats = f'{{ searchStats(window: DAY, site: "{site}") {{ searches }} }}'
    await eventually(lambda: gql(api_url, stats), lambda out: out["data"]["searchStats"]["searches"] == 12)
    lists = f"""{{ hotQueries(window: DAY, site: "{site}") {{ query }} risingQueries(window: DAY, site: "{site}") {{
        query }} zeroResultQueries(window: DAY, site: "{site}") {{ query }} }}"""
    out = (await gql(api_url, lists))["data"]
    assert [q["query"] for q in out["hotQueries"]] == ["公积金提取"]
    assert [q["query"] for q in out["risingQueries"]] == ["公积金提取"]
    assert {q["query"] for q in out["zeroResultQueries"]} == {"傻逼政府", "不宜展示的搜索", "公积金提取"}
    sub = f'subscription {{ hotQueries(window: DAY, site: "{site}") {{ query }} }}'
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{api_url}/graphql", protocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": sub}})
        msg = await ws.receive_json(timeout=10)
        assert msg["type"] == "next" and msg["payload"]["data"]["hotQueries"] == [{"query": "公积金提取"}], msg


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("{ hotQueries(window: DAY, limit: 0) { query } }", "BAD_INPUT", "limit must be between 1 and 100"),
        ("{ risingQueries(window: DAY, limit: 500) { query } }", "BAD_INPUT", "limit must be between 1 and 100"),
        ("{ zeroResultQueries(window: DAY, limit: -1) { query } }", "BAD_INPUT", "limit"),
        ('{ searchStats(window: DAY, site: "../x") { searches } }', "BAD_INPUT", "is not a site id"),
        ('{ searchStats(window: DAY, site: "no-such-site") { searches } }', "NOT_FOUND", "no site with id"),
        ('{ hotQueries(window: DAY, site: "no-such-site") { query } }', "NOT_FOUND", "no site with id"),
        ('{ queryTrend(query: " ", window: DAY) { searches } }', "BAD_INPUT", "query must be"),
        # An unknown window is refused by the schema itself, before any resolver runs.
        ("{ hotQueries(window: MONTH) { query } }", "GRAPHQL_VALIDATION_FAILED", "MONTH"),
    ],
)
async def test_bad_arguments_get_coded_errors(api_url: str, query: str, code: str, message: str) -> None:
    out = await gql(api_url, query)
    assert out["errors"][0]["extensions"]["code"] == code and message in out["errors"][0]["message"]


async def test_hot_queries_subscription_updates_live_and_throttled(
    api_url: str, bus: Bus, consumer: ConsumerRunner
) -> None:
    sub = 'subscription { hotQueries(window: DAY, limit: 3, site: "an-api") { query searches } }'
    async with aiohttp.ClientSession() as s, s.ws_connect(f"{api_url}/graphql",
                                                          protocols=["graphql-transport-ws"]) as ws:  # fmt: skip
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": sub}})

        async def next_list() -> list[dict[str, Any]]:
            while True:
                msg = await ws.receive_json(timeout=10)
                if msg["type"] == "next":
                    return list(msg["payload"]["data"]["hotQueries"])
                assert msg["type"] in ("ping", "pong"), json.dumps(msg)

        # The current list comes at once, read after the server subscribed to the nudges (hot_query_feed).
        first = await next_list()
        assert all(q["query"] != "居民身份证" for q in first)
        started = asyncio.get_running_loop().time()
        for burst in range(5):  # people keep searching: many batches, many nudges
            await searched(bus, "居民身份证", 10, prefix=f"live{burst}-")
            await asyncio.sleep(0.1)  # not a wait: the bursts are spread out, so the throttle has work to do
        updates = [await next_list()]
        while {"query": "居民身份证", "searches": 50} not in updates[-1]:
            updates.append(await next_list())
        elapsed = asyncio.get_running_loop().time() - started
        assert updates[-1][0] == {"query": "居民身份证", "searches": 50}, "the top of the list now"
        assert len(updates) <= elapsed + 1, f"{len(updates)} pushes in {elapsed:.1f} s: more than one a second"
        await ws.send_json({"id": "1", "type": "complete"})

"""Monitoring over GraphQL: inspection, inventory, trend, admin mutations, and alerts live over websockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest

from core.bus import AlertRaised, Bus, PageFetched
from core.clock import system_clock
from core.documents import apply_pages
from core.jobs import Attempt
from core.monitoring import inspect, inspect_and_alert
from core.monitoring.job_runs import job_running
from core.settings import Settings
from core.sites import parse_sites, sync_sites
from tests.integration.conftest import serve_api
from tests.integration.graphql import first_data, gql, gql_data
from workers.monitor import inspect_site

pytestmark = pytest.mark.integration

SITE = "mon-api"
NOW = datetime(2024, 6, 30, 4, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:9/"


@pytest.fixture(scope="module")
async def api_url(settings: Settings) -> AsyncIterator[str]:
    """An API server of our own: the shared one keeps the query depth at 2, and scorecards nest deeper."""
    async with serve_api(settings) as url:
        yield url


def page(path: str, kind: str, title: str, column: str, published: str | None, text: str = "",
         links: list[str] | None = None) -> PageFetched:  # fmt: skip
    return PageFetched(site_id=SITE, url=BASE + path, status=200, content_hash=f"h-{path}-{published}",
                       fetched_at="2024-06-30T04:00:00+00:00", kind=kind, title=title, text=text,
                       published_at=published, column=column,
                       links=[{"url": BASE + u, "text": u, "kind": "link"} for u in links or []])  # fmt: skip


@pytest.fixture(scope="module")
async def seeded(pg_pool: asyncpg.Pool) -> None:
    await sync_sites(pg_pool, parse_sites(f"sites:\n  - {{id: {SITE}, name: 监测测试站, level: 部门, "
                                          f'start_urls: ["{BASE}"]}}\n'))  # fmt: skip
    pages = [
        page("", "homepage", "监测测试站", "首页", None, links=["ywdt/a1.html", "ywdt/index.html"]),
        page("ywdt/index.html", "column", "要闻动态", "要闻动态", None),
        page("ywdt/a1.html", "news", "全市推进会召开", "要闻动态", "2024-06-28", "弘扬不忘出心精神"),
        page("ywdt/a2.html", "news", "专题会议", "要闻动态", "2024-06-10"),
        page("zwdc/index.html", "column", "政务督查", "政务督查", None),
    ]
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, pages)
    await inspect(pg_pool, SITE, NOW)


async def test_inspection_scorecard_and_findings(api_url: str, seeded: None) -> None:
    out = await gql(api_url, """query($s: ID!) { inspection(site: $s) { scorecard { passed score vetoes { rule }
        items { rule title vetoed count } } findings { total items { rule summary url column evidence firstSeen } }
        } }""", {"s": SITE})  # fmt: skip
    got = out["data"]["inspection"]
    assert got["scorecard"]["passed"] is False
    assert [v["rule"] for v in got["scorecard"]["vetoes"]] == ["wrong_expressions"]
    rules = {f["rule"]: f for f in got["findings"]["items"]}
    assert rules["wrong_expressions"]["evidence"]["found"] == "不忘出心"
    assert rules["wrong_expressions"]["url"] == BASE + "ywdt/a1.html"
    assert rules["columns_blank"]["column"] == "政务督查"
    out = await gql(api_url, '{ inspection(site: "no-such-site") { siteId } }')
    assert out["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_inventory_trend_and_comparison(api_url: str, seeded: None) -> None:
    query = """query($s: ID!) { inventory(site: $s) { documents byKind { kind count }
        columns { name type items lastPublished } } updateTrend(site: $s, weeks: 4) { week count }
        inventoryComparison(level: "部门") { items { siteId documents } } }"""
    out = await gql(api_url, query, {"s": SITE})
    inv = out["data"]["inventory"]
    assert {c["name"]: c["items"] for c in inv["columns"]}["要闻动态"] == 2
    assert {c["name"]: c["type"] for c in inv["columns"]}["要闻动态"] == "news"
    assert len(out["data"]["updateTrend"]) == 4
    assert SITE in [s["siteId"] for s in out["data"]["inventoryComparison"]["items"]]
    out = await gql(api_url, "query($s: ID!) { updateTrend(site: $s, weeks: 500) { week } }", {"s": SITE})
    assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT"


COMPARISON = """query($page: Int!, $size: Int!) { inventoryComparison(level: "部门", page: $page, pageSize: $size) {
    total page pageSize items { siteId level documents } } }"""


async def test_inventory_comparison_comes_a_page_at_a_time(api_url: str, seeded: None) -> None:
    first = (await gql_data(api_url, COMPARISON, {"page": 1, "size": 1}))["inventoryComparison"]
    total = first["total"]
    assert total >= 1 and len(first["items"]) == 1 and (first["page"], first["pageSize"]) == (1, 1)
    size = -(-total // 3)  # three pages (the last may be short)
    seen: list[str] = []
    for number in range(1, 4):
        page = (await gql_data(api_url, COMPARISON, {"page": number, "size": size}))["inventoryComparison"]
        assert page["total"] == total and len(page["items"]) <= size
        assert {s["level"] for s in page["items"]} <= {"部门"}
        seen += [s["siteId"] for s in page["items"]]
    assert seen == sorted(set(seen)) and len(seen) == total, "every site once, in id order"
    assert SITE in seen
    past = (await gql_data(api_url, COMPARISON, {"page": 4, "size": size}))["inventoryComparison"]
    assert past["items"] == [] and past["total"] == total
    for page, size, message in [
        (0, 10, "page must be 1 or more"),
        (1, 0, "pageSize must be between 1 and 100"),
        (1, 101, "pageSize must be between 1 and 100"),
    ]:
        out = await gql(api_url, COMPARISON, {"page": page, "size": size})
        assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT" and message in out["errors"][0]["message"]


async def test_admin_mutations(api_url: str, seeded: None, pg_pool: asyncpg.Pool) -> None:
    out = await gql(
        api_url,
        'mutation { setThreshold(rule: "homepage_stale", name: "idle_days", value: 30) { value default } }',
    )
    assert out["data"]["setThreshold"] == {"value": 30.0, "default": 14.0}
    out = await gql(
        api_url,
        'mutation { setThreshold(rule: "homepage_stale", name: "idle_days", value: null) { value } }',
    )
    assert out["data"]["setThreshold"] == {"value": 14.0}
    # An input the admin can fix is a coded error whose message says what to fix.
    out = await gql(api_url, 'mutation { setThreshold(rule: "homepage_stale", name: "nope", value: 1) { value } }')
    assert out["data"] is None and out["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "idle_days" in out["errors"][0]["message"]
    column = "mutation($s: ID!, $c: String!, $t: String) { setColumnType(site: $s, column: $c, type: $t) { type } }"
    out = await gql(api_url, column, {"s": SITE, "c": "政务督查", "t": "notice"})
    assert out["data"]["setColumnType"] == {"type": "notice"}
    out = await gql(api_url, column, {"s": SITE, "c": "无此栏目", "t": "news"})
    assert out["errors"][0]["extensions"]["code"] == "NOT_FOUND" and "无此栏目" in out["errors"][0]["message"]
    out = await gql(api_url, column, {"s": "mon-apu", "c": "政务督查", "t": "news"})  # a typo in the site id
    assert out["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert out["errors"][0]["message"] == "no site with id 'mon-apu'"
    out = await gql(
        api_url,
        """mutation { putWrongExpression(wrong: "全心全意为人名服务", right: "全心全意为人民服务") {
        wrong right category } }""",
    )
    assert out["data"]["putWrongExpression"]["right"] == "全心全意为人民服务"
    listed = await gql(api_url, "{ wrongExpressions { wrong } monitoringThresholds { rule name value } }")
    assert "全心全意为人名服务" in [w["wrong"] for w in listed["data"]["wrongExpressions"]]
    assert {"rule": "site_unreachable", "name": "veto_ratio", "value": 0.05} in listed["data"]["monitoringThresholds"]
    out = await gql(api_url, 'mutation { deleteWrongExpression(wrong: "全心全意为人名服务") }')
    assert out["data"]["deleteWrongExpression"] is True
    out = await gql(api_url, "mutation($s: ID!) { runInspection(site: $s) { job messageId } }", {"s": SITE})
    assert out["data"]["runInspection"]["job"] == "inspect_site"
    row = await pg_pool.fetchrow("select key, message_id from job_runs where actor = 'inspect_site' and key = $1", SITE)
    assert row["message_id"] == out["data"]["runInspection"]["messageId"]


async def test_a_wrong_form_inside_its_right_form_is_no_error(api_url: str, pg_pool: asyncpg.Pool) -> None:
    """An office listing 核心价值 → 社会主义核心价值观 means the bare term; every correct 社会主义核心价值观 used to
    be a veto of its own."""
    site = "mon-api-terms"
    await sync_sites(
        pg_pool,
        parse_sites(
            f'sites:\n  - {{id: {site}, name: 表述测试站, level: 部门, start_urls: ["http://127.0.0.1:9/terms/"]}}\n'
        ),
    )
    text = "弘扬社会主义核心价值观。坚持以核心价值引领。社會主義核心價值觀深入人心。"
    news = PageFetched(
        site_id=site,
        url="http://127.0.0.1:9/terms/a.html",
        status=200,
        content_hash="t1",
        fetched_at="2024-06-30T04:00:00+00:00",
        kind="news",
        title="学习会",
        text=text,
        published_at="2024-06-28",
        column="要闻动态",
    )
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, [news])
    put = 'mutation { putWrongExpression(wrong: "核心价值", right: "社会主义核心价值观") { wrong } }'
    assert "errors" not in await gql(api_url, put)
    try:
        await inspect(pg_pool, site, NOW)
        out = await gql(
            api_url,
            """query($s: ID!) { inspection(site: $s) {
            findings(rule: "wrong_expressions") { total items { evidence } } } }""",
            {"s": site},
        )
    finally:
        await gql(api_url, 'mutation { deleteWrongExpression(wrong: "核心价值") }')
    found = out["data"]["inspection"]["findings"]
    assert found["total"] == 1, found
    assert found["items"][0]["evidence"]["position"] == text.index("以核心价值") + 1, "the bare term only"


async def test_alerts_are_delivered_live(api_url: str, seeded: None, pg_pool: asyncpg.Pool, bus: Bus) -> None:
    query = "subscription($s: ID) { alerts(site: $s) { siteId rule state summary findingId } }"
    async with aiohttp.ClientSession() as s, s.ws_connect(f"{api_url}/graphql",
                                                          protocols=["graphql-transport-ws"]) as ws:  # fmt: skip
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"s": SITE}}})
        # A probe on core NATS only (no stream, no finding) tells that the server's subscription is in place.
        probe = AlertRaised(
            finding_id="probe", site_id=SITE, rule="probe", state="opened", summary="", at=NOW.isoformat()
        )
        await first_data(ws, lambda: bus.notify(probe))
        await inspect_and_alert(pg_pool, bus, SITE, NOW + timedelta(days=30))  # the homepage is now stale
        got = []
        while not any(a["rule"] == "homepage_stale" for a in got):
            msg = await ws.receive_json(timeout=10)
            if msg["type"] == "next":
                got.append(msg["payload"]["data"]["alerts"])
            else:
                assert msg["type"] in ("ping", "pong"), json.dumps(msg)
    stale = next(a for a in got if a["rule"] == "homepage_stale")
    assert stale["state"] == "opened" and stale["siteId"] == SITE and "首页" in stale["summary"]


async def test_run_inspection_while_one_is_in_flight_answers_that_job(
    api_url: str, settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    site = "mon-api-inflight"
    await sync_sites(
        pg_pool,
        parse_sites(f'sites:\n  - {{id: {site}, name: 在途巡检站, level: 部门, start_urls: ["{BASE}inflight/"]}}\n'),
    )
    run = "mutation($s: ID!) { runInspection(site: $s) { job messageId state enqueuedAt } }"

    async def asked() -> list[dict[str, str]]:
        outs = await asyncio.gather(*(gql(api_url, run, {"s": site}) for _ in range(5)))
        assert all("errors" not in out for out in outs), outs
        return [out["data"]["runInspection"] for out in outs]

    async def runs() -> list[tuple[str, str]]:
        sql = "select message_id, state from job_runs where actor = 'inspect_site' and key = $1 order by id"
        return [(r["message_id"], r["state"]) for r in await pg_pool.fetch(sql, site)]

    first = await asked()
    assert len({a["messageId"] for a in first}) == 1 and {a["state"] for a in first} == {"enqueued"}
    queued = first[0]["messageId"]
    assert await runs() == [(queued, "enqueued")], "five requests at once queue one job"
    async with job_running(pg_pool, Attempt(queued, 2), system_clock):  # a worker has taken it up
        while_running = await asked()
        assert {(a["messageId"], a["state"]) for a in while_running} == {(queued, "running")}
    assert await runs() == [(queued, "done")]
    after = (await asked())[0]
    assert after["messageId"] != queued and after["state"] == "enqueued", "once it is done, a new one is queued"
    await inspect_site(settings, site, attempt=Attempt(after["messageId"], 2))  # the worker's body marks its run
    assert [state for _, state in await runs()] == ["done", "done"]

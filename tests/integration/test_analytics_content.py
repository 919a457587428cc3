"""Content and audience analytics over the real API: hot words of new documents (from DocumentChanged), the
page-view beacon with bots, caps and provinces, search clicks as views, and every bad input."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.analytics.records import NAVIGATION_KINDS
from core.analytics.terms import salient_terms
from core.bus import Bus, ConsumerRunner, DocumentChanged, ResultClicked
from core.clock import local_date
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql
from tests.polling import eventually
from workers.analytics import AnalyticsConsumer
from workers.content_analytics import ContentAnalyticsConsumer

pytestmark = pytest.mark.integration

TAG = secrets.token_hex(3)
COUNTY, DEPT = f"ac-county-{TAG}", f"ac-dept-{TAG}"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
FOOTER = "江北区融媒体中心主办。江北区融媒体中心版权所有。"  # on every page of the county site: boilerplate
NAVIGATION = "便民服务专栏"  # the title of the county's list pages and home page


def host(site: str) -> str:
    return f"www.{site}.gov.cn"


@pytest.fixture(scope="module")
async def api(settings: Settings) -> AsyncIterator[str]:
    # Its own server: its own beacon rate limits; loopback is a trusted proxy, so X-Forwarded-For names visitors.
    async with serve_api(settings, trusted_proxies="127.0.0.1", rate_limit_per_min=0) as url:
        yield url


async def add_site(pool: asyncpg.Pool, site: str, level: str) -> None:
    config = json.dumps({"allowed_hosts": [host(site)], "start_urls": [f"https://{host(site)}/"]})
    await pool.execute(
        "insert into sites (id, name, level, config) values ($1, $2, $3, $4::jsonb)", site, site, level, config
    )


async def add_doc(pool: asyncpg.Pool, site: str, title: str, text: str, day: date, kind: str = "page") -> str:
    url = f"https://{host(site)}/art/{secrets.token_hex(6)}.html"
    digest = hashlib.sha256((title + text).encode()).hexdigest()
    return str(
        await pool.fetchval(
            """insert into documents (url, site_id, kind, title, text, content_hash, published_at)
               values ($1, $2, $3, $4, $5, $6, $7) returning id""",
            url,
            site,
            kind,
            title,
            text,
            digest,
            day,
        )
    )


@pytest.fixture(scope="module")
async def corpus(pg_pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[dict[str, str]]:
    """Two sites' documents, counted by a content consumer of their own subjects; returns named document ids."""
    await add_site(pg_pool, COUNTY, "区县")
    await add_site(pg_pool, DEPT, "部门")
    today = local_date(datetime.now(UTC))
    docs = {}
    for i, title in enumerate(["人才公寓申请指南", "人才公寓配租公告", "新建人才公寓交付使用", "人才公寓租金标准"]):
        kind = "policy" if i == 0 else "page"
        docs[f"talent{i}"] = await add_doc(pg_pool, COUNTY, title, f"本区人才公寓相关事项。{FOOTER}", today, kind)
    docs["service"] = await add_doc(pg_pool, COUNTY, "社保卡办事指南", f"社保卡办理。{FOOTER}", today, "service")
    docs["waste"] = await add_doc(pg_pool, COUNTY, "垃圾分类宣传", f"垃圾分类。{FOOTER}", today)
    for i in range(14):  # the week before: an older topic, and the same footer
        day = today - timedelta(days=1 + i % 7)
        await add_doc(pg_pool, COUNTY, f"垃圾分类第{i}期", f"垃圾分类。{FOOTER}", day)
    for title in ["医保报销新规解读", "医保报销流程优化", "异地医保报销指南"]:
        await add_doc(pg_pool, DEPT, title, "医保报销相关事项说明。", today)
    for kind in ("column", *NAVIGATION_KINDS):  # navigation first seen today: no content of the day
        await add_doc(pg_pool, COUNTY, NAVIGATION, f"{NAVIGATION} 下一页 尾页 {NAVIGATION}。{FOOTER}", today, kind)
    consumer = ContentAnalyticsConsumer(pg_pool)
    consumer.name = f"content-analytics-{TAG}"
    consumer.subjects = lambda: [f"{DocumentChanged.SUBJECT}.{COUNTY}", f"{DocumentChanged.SUBJECT}.{DEPT}"]  # type: ignore[method-assign]
    runner = ConsumerRunner(bus, consumer, batch=100, ack_wait_s=10)
    task = asyncio.create_task(runner.run())
    rows = await pg_pool.fetch(
        "select id::text, url, site_id, kind from documents where site_id = any($1)", [COUNTY, DEPT]
    )
    for r in rows:
        await bus.publish(
            DocumentChanged(document_id=r[0], url=r[1], site_id=r[2], change="created", version=1, content_hash="h")
        )

    async def counted() -> int:
        return int(
            await pg_pool.fetchval(
                "select coalesce(sum(documents), 0) from analytics_site_days where site_id = any($1)", [COUNTY, DEPT]
            )
        )

    content = [r for r in rows if r["kind"] not in NAVIGATION_KINDS]
    await eventually(counted, lambda n: n == len(content), what="every document of content counted")
    yield docs
    runner.stop()
    await asyncio.wait_for(task, timeout=10)
    await bus.js.delete_consumer(consumer.stream, consumer.name)


HOT = """query($site: ID, $level: String, $window: Window!) {
  contentHotWords(site: $site, level: $level, window: $window, limit: 10) {
    term count countBefore rise documents { id title url siteId } } }"""


async def test_hot_words_rise_with_their_documents_and_skip_boilerplate(api: str, corpus: dict[str, str]) -> None:
    out = await gql(api, HOT, {"site": COUNTY, "window": "DAY"})
    words = out["data"]["contentHotWords"]
    top = words[0]
    assert (top["term"], top["count"], top["countBefore"], top["rise"]) == ("人才公寓", 4, 0.0, 5.0)
    assert {d["id"] for d in top["documents"]} == {corpus[f"talent{i}"] for i in range(4)}
    assert all(d["url"].startswith(f"https://{host(COUNTY)}/") and d["siteId"] == COUNTY for d in top["documents"])
    terms = {w["term"] for w in words}
    footer_terms = set(salient_terms("", FOOTER))
    assert footer_terms and not terms & footer_terms, "on every page of the site: boilerplate, not news"
    assert "人才" not in terms, "a word shown inside a listed phrase with the same documents"
    assert "垃圾分类" not in terms, "one new document of an older topic does not rise"
    assert not terms & set(salient_terms(NAVIGATION, "")), "list pages and the home page are not new content"
    dept = (await gql(api, HOT, {"level": "部门", "window": "DAY"}))["data"]["contentHotWords"]
    assert "医保报销" in {w["term"] for w in dept} and "人才公寓" not in {w["term"] for w in dept}
    county = (await gql(api, HOT, {"level": "区县", "window": "WEEK"}))["data"]["contentHotWords"]
    assert "人才公寓" in {w["term"] for w in county}


async def beacon(
    api: str, body: object, *, visitor: str = "202.96.209.5", agent: str | None = BROWSER, get: bool = False
) -> tuple[int, dict[str, Any]]:
    headers = {"X-Forwarded-For": visitor, **({"User-Agent": agent} if agent is not None else {})}
    async with aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as s:
        if get:
            assert isinstance(body, dict)
            response = s.get(f"{api}/beacon/pv", params=body, headers=headers)
        else:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            response = s.post(f"{api}/beacon/pv", data=data, headers={**headers, "Content-Type": "text/plain"})
        async with response as r:
            return r.status, dict(await r.json())


async def url_of(pool: asyncpg.Pool, doc: str) -> str:
    return str(await pool.fetchval("select url from documents where id = $1::uuid", doc))


TOP = """query($site: ID, $kind: TopDocumentKind!) { topDocuments(site: $site, window: DAY, kind: $kind) {
  document { id kind } views visitors clicks previousViews } }"""
VISITORS = """query($site: ID) { visitorStats(site: $site, window: WEEK) {
  days { day visitors } visitorDays byProvince { province visitors } } }"""


async def test_beacon_views_clicks_and_visitors(
    api: str, pg_pool: asyncpg.Pool, bus: Bus, corpus: dict[str, str]
) -> None:
    policy, page = corpus["talent0"], corpus["talent1"]
    url = await url_of(pg_pool, policy)
    answers = [await beacon(api, {"url": url + "#top"}) for _ in range(7)]  # one reader reloading
    assert answers == [(200, {"counted": True})] * 5 + [(200, {"counted": False})] * 2
    burst = await asyncio.gather(*(beacon(api, {"id": corpus["talent2"]}, visitor="1.2.4.8") for _ in range(8)))
    counted = sorted(b[1]["counted"] for b in burst)
    assert counted == [False] * 3 + [True] * 5, "the cap holds for concurrent views of one visitor"
    assert await beacon(api, {"url": url}, visitor="183.60.0.1") == (200, {"counted": True})  # 广东
    assert await beacon(api, {"id": policy}, visitor="192.168.3.4") == (200, {"counted": True})  # private: unknown
    shared = await url_of(pg_pool, page) + "?from=singlemessage&isappinstalled=0"  # as opened from a WeChat share
    assert await beacon(api, {"url": shared}, get=True) == (200, {"counted": True})
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1)", "HeadlessChrome/120.0", "curl/8.5", None):
        assert await beacon(api, {"url": url}, visitor="36.110.0.1", agent=agent) == (
            202,
            {"counted": False, "reason": "bot"},
        )
    clicks = AnalyticsConsumer(pg_pool, bus)
    clicks.name = f"analytics-clicks-{TAG}"
    clicks.subjects = lambda: [f"{ResultClicked.SUBJECT}.all"]  # type: ignore[method-assign]
    runner = ConsumerRunner(bus, clicks, batch=500, ack_wait_s=10)
    task = asyncio.create_task(runner.run())
    try:
        at = datetime.now(UTC).isoformat()
        await bus.publish(ResultClicked(search_id=f"ac-{TAG}", document_id=policy, position=1, at=at))

        def clicked(out: dict[str, Any]) -> bool:
            return any(t["clicks"] for t in out["data"]["topDocuments"])

        out = await eventually(
            lambda: gql(api, TOP, {"site": COUNTY, "kind": "ALL"}), clicked, what="the click counted"
        )
    finally:
        runner.stop()
        await asyncio.wait_for(task, timeout=10)
        await bus.js.delete_consumer(clicks.stream, clicks.name)
    top = out["data"]["topDocuments"]
    assert top[0] == {
        "document": {"id": policy, "kind": "policy"},
        "views": 8,
        "visitors": 4,
        "clicks": 1,
        "previousViews": 0,
    }
    assert top[1]["document"]["id"] == corpus["talent2"] and (top[1]["views"], top[1]["visitors"]) == (5, 1)
    assert top[2]["document"]["id"] == page and (top[2]["views"], top[2]["visitors"]) == (1, 1)
    for kind in ("POLICY", "HOT_POLICY"):
        found = (await gql(api, TOP, {"site": COUNTY, "kind": kind}))["data"]["topDocuments"]
        assert [t["document"]["id"] for t in found] == [policy]
    assert (await gql(api, TOP, {"site": COUNTY, "kind": "SERVICE"}))["data"]["topDocuments"] == []
    stats = (await gql(api, VISITORS, {"site": COUNTY}))["data"]["visitorStats"]
    assert len(stats["days"]) == 7 and stats["days"][-1]["visitors"] == 4 and stats["visitorDays"] == 4
    assert sorted(stats["byProvince"], key=lambda p: p["province"] or "") == [
        {"province": None, "visitors": 1},
        {"province": "上海市", "visitors": 1},
        {"province": "北京市", "visitors": 1},
        {"province": "广东省", "visitors": 1},
    ]
    stored = await pg_pool.fetchval("select count(*) from analytics_audience where province like '%.%'")
    assert stored == 0, "no address is stored"


async def test_top_documents_are_content_unless_navigation_is_asked_for(api: str, pg_pool: asyncpg.Pool) -> None:
    site = f"ac-nav-{TAG}"  # its own site: the counts above stay the county's
    await add_site(pg_pool, site, "区县")
    today = local_date(datetime.now(UTC))
    home = await add_doc(pg_pool, site, "江北区人民政府", "首页 政务公开 政务服务", today, "homepage")
    column = await add_doc(pg_pool, site, "通知公告", "通知公告 下一页 尾页", today, "column")
    notice = await add_doc(pg_pool, site, "关于开展人才公寓申请的通知", "本区人才公寓申请事项。", today, "notice")
    for views, doc in ((3, home), (2, column), (1, notice)):  # the home page is visited most, as on every site
        for i in range(views):
            assert await beacon(api, {"id": doc}, visitor=f"202.96.{views}.{i + 1}") == (200, {"counted": True})
    query = "query($site: ID) { topDocuments(site: $site, window: DAY) { document { id } } }"
    default = (await gql(api, query, {"site": site}))["data"]["topDocuments"]
    assert [t["document"]["id"] for t in default] == [notice], "no kind: content only"
    everything = (await gql(api, TOP, {"site": site, "kind": "ALL"}))["data"]["topDocuments"]
    assert [t["document"]["id"] for t in everything] == [notice]
    navigation = (await gql(api, TOP, {"site": site, "kind": "NAVIGATION"}))["data"]["topDocuments"]
    assert [(t["document"]["kind"], t["views"]) for t in navigation] == [("homepage", 3), ("column", 2)]


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ('{ contentHotWords(site: "no-such-site-ac", window: DAY) { term } }', "NOT_FOUND", "no site"),
        ('{ topDocuments(site: "no-such-site-ac", window: DAY) { views } }', "NOT_FOUND", "no site"),
        ('{ visitorStats(site: "no-such-site-ac", window: DAY) { visitorDays } }', "NOT_FOUND", "no site"),
        ("{ contentHotWords(window: HOUR) { term } }", "BAD_INPUT", "window must be DAY or WEEK"),
        ("{ topDocuments(window: HOUR) { views } }", "BAD_INPUT", "window must be DAY or WEEK"),
        ("{ visitorStats(window: HOUR) { visitorDays } }", "BAD_INPUT", "window must be DAY or WEEK"),
        ('{ contentHotWords(window: DAY, level: "省级") { term } }', "BAD_INPUT", "level must be one of"),
        ("{ topDocuments(window: DAY, limit: 0) { views } }", "BAD_INPUT", "limit must be between 1 and 100"),
        ('{ topDocuments(window: DAY, site: "../x") { views } }', "BAD_INPUT", "is not a site id"),
    ],
)
async def test_bad_arguments_get_coded_errors(api: str, query: str, code: str, message: str) -> None:
    out = await gql(api, query)
    assert out["errors"][0]["extensions"]["code"] == code and message in out["errors"][0]["message"], out


async def test_beacon_refuses_what_it_cannot_count(api: str, corpus: dict[str, str]) -> None:
    status, body = await beacon(api, {"url": "https://www.example.com/a.html"})
    assert status == 422 and "is not a host of any site" in body["error"]
    status, body = await beacon(api, {"url": f"https://{host(COUNTY)}/nothing-here.html"})
    assert status == 404 and "no stored document" in body["error"]
    assert (await beacon(api, {"id": "not-a-document"}))[0] == 404
    assert (await beacon(api, {"url": "javascript:alert(1)"}))[0] == 400
    assert (await beacon(api, b"{not json"))[0] == 400
    assert (await beacon(api, {}))[0] == 400
    status, body = await beacon(api, {"url": f"https://{host(COUNTY)}/" + "a" * 3000})
    assert status == 413 and "at most 2048 bytes" in body["error"]


async def test_beacon_is_rate_limited_per_address(api: str, corpus: dict[str, str]) -> None:
    target = {"url": f"https://{host(COUNTY)}/nothing-here.html"}
    statuses = [(await beacon(api, target, visitor="203.0.113.77"))[0] for _ in range(45)]
    assert statuses[:40] == [404] * 40 and statuses[-1] == 429, statuses
    assert (await beacon(api, target, visitor="203.0.113.78"))[0] == 404, "another address is not limited"

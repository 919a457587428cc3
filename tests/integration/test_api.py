"""The GraphQL API over real HTTP and websockets: queries, limits, coded errors, live subscriptions."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import Bus, DocumentChanged, PageFetched
from core.documents import apply_pages
from core.sites import parse_sites, sync_sites
from tests.integration.graphql import first_data, gql

pytestmark = pytest.mark.integration

SITES = """
sites:
  - {id: api-portal, name: 示范市政府, level: 市, start_urls: ["http://127.0.0.1:1/"]}
  - {id: api-county, name: 青山县, level: 区县, parent: api-portal, start_urls: ["http://127.0.0.1:2/"]}
"""
UNITS = """
sites:
  - {id: api-unit-a, name: 甲村, level: 村社区, enabled: false, start_urls: ["http://127.0.0.1:3/"]}
  - {id: api-unit-b, name: 乙村, level: 村社区, enabled: false, start_urls: ["http://127.0.0.1:4/"]}
"""


@pytest.fixture(scope="module")
async def seeded(pg_pool: asyncpg.Pool) -> None:
    await sync_sites(pg_pool, parse_sites(SITES))
    page = PageFetched(
        site_id="api-portal", url="http://127.0.0.1:1/zcwj/a.html", status=200, content_hash="h1",
        fetched_at="2026-01-01T00:00:00+00:00", kind="policy", title="关于进一步做好稳就业工作的通知",
        text="各区人民政府……", published_at="2024-03-05", column="政策文件",
        meta={"doc_no": "示政发[2024]12号", "doc_no_normalized": "示政发〔2024〕12号", "issuer": "示范市人民政府",
              "index_no": "11440100/2024-00012", "theme": "劳动、人事、监察", "written_date": "2024-03-01",
              "validity": "有效"},
        attachments=[{"name": "附件1.pdf", "url": "http://127.0.0.1:1/a.pdf", "type": "pdf", "size": "120KB"}],
    )  # fmt: skip
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, [page])


async def test_sites_and_document(api_url: str, seeded: None) -> None:
    out = await gql(api_url, "{ sites { id name level documentCount lastCrawledAt parentId } }")
    sites = {s["id"]: s for s in out["data"]["sites"]}
    assert sites["api-portal"]["documentCount"] == 1 and sites["api-county"]["parentId"] == "api-portal"
    doc = await gql(api_url, """query($u: String!) { document(url: $u) { title kind column publishedAt
        attachments { name size } site { name } meta { docNo docNoNormalized issuer indexNo theme writtenDate
        validity } } }""", {"u": "http://127.0.0.1:1/zcwj/a.html"})  # fmt: skip
    d = doc["data"]["document"]
    assert d["meta"]["docNoNormalized"] == "示政发〔2024〕12号" and d["meta"]["writtenDate"] == "2024-03-01"
    assert d["site"]["name"] == "示范市政府" and d["attachments"][0]["size"] == "120KB"
    assert d["column"] == "政策文件" and d["publishedAt"] == "2024-03-05"


async def test_sites_page_on_and_filter_by_crawl_state(api_url: str, seeded: None, pg_pool: asyncpg.Pool) -> None:
    """A group with its grassroots units holds thousands of sites: they come a page at a time, never cut silently."""
    await sync_sites(pg_pool, parse_sites(UNITS))
    count = await pg_pool.fetchval("select count(*) from sites")
    seen: list[str] = []
    for page in range(1, count // 500 + 3):
        out = await gql(api_url, "query($p: Int!) { sites(page: $p) { id enabled } }", {"p": page})
        got = out["data"]["sites"]
        assert len(got) <= 500
        seen += [s["id"] for s in got]
        if len(got) < 500:
            break
    one = await gql(api_url, "{ sites(pageSize: 1, page: 2) { id } }")
    assert [s["id"] for s in one["data"]["sites"]] == seen[1:2]
    assert {"api-portal", "api-county", "api-unit-a", "api-unit-b"} <= set(seen)
    assert len(seen) >= count, "every stored site came back on some page"
    off = await gql(api_url, '{ sites(enabled: false, level: "村社区") { id enabled } }')
    ids = {s["id"] for s in off["data"]["sites"]}
    assert {"api-unit-a", "api-unit-b"} <= ids and not any(s["enabled"] for s in off["data"]["sites"])
    on = await gql(api_url, "{ sites(enabled: true) { id enabled } }")
    ids = {s["id"] for s in on["data"]["sites"]}
    assert "api-portal" in ids and not ids & {"api-unit-a", "api-unit-b"}
    for bad in ("pageSize: 501", "pageSize: 0", "page: 0"):
        out = await gql(api_url, f"{{ sites({bad}) {{ id }} }}")
        assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT", bad


async def test_unknown_things_get_coded_errors(api_url: str, seeded: None) -> None:
    out = await gql(api_url, '{ site(id: "no-such-site") { name } }')
    assert out["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "no-such-site" in out["errors"][0]["message"]
    out = await gql(api_url, '{ site(id: "DROP TABLE sites;") { name } }')
    assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    out = await gql(api_url, '{ document(url: "http://127.0.0.1:1/never") { title } }')
    assert out["data"]["document"] is None
    out = await gql(api_url, '{ document(url: "javascript:alert(1)") { title } }')
    assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_page_limits(api_url: str, seeded: None) -> None:
    out = await gql(api_url, "{ documents(pageSize: 1000) { total } }")
    assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT" and "pageSize" in out["errors"][0]["message"]
    out = await gql(api_url, "{ documents(page: 0) { total } }")
    assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    out = await gql(api_url, '{ documents(site: "api-portal", page: 99) { total items { url } } }')
    assert out["data"]["documents"] == {"total": 1, "items": []}, "a page beyond the last is empty, not an error"
    for site, code in (("", "BAD_INPUT"), ("api-portl", "NOT_FOUND")):  # an unset variable, a typo: not every site's
        out = await gql(api_url, "query($s: ID) { documents(site: $s) { total } }", {"s": site})
        assert out["data"] is None and out["errors"][0]["extensions"]["code"] == code, (site, out)


async def test_hostile_queries_are_refused(api_url: str) -> None:
    out = await gql(api_url, "{ documents { items { site { id } } } }")  # depth 3 > 2, the test app's limit
    assert "exceeds maximum operation depth" in out["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: sites {{ id }}" for i in range(100)) + " }"
    out = await gql(api_url, aliases)
    assert "aliases found" in out["errors"][0]["message"].lower()
    tokens = "{ sites { " + " ".join(["id"] * 3000) + " } }"
    out = await gql(api_url, tokens)
    assert "more than 2000 tokens" in out["errors"][0]["message"]
    out = await gql(api_url, "{ sites { id ")
    assert out["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_health_ready_and_metrics(api_url: str) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{api_url}/healthz") as r:
            assert r.status == 200 and r.headers["x-request-id"]
        async with s.get(f"{api_url}/readyz") as r:
            body = await r.json()
            assert r.status == 200 and body["checks"] == {"postgres": True, "nats": True, "search": True}
        async with s.get(f"{api_url}/metrics") as r:
            text = await r.text()
            assert 'yw_http_request_seconds_count{method="GET",route="/healthz",status="200"}' in text
            assert 'yw_stream_messages{stream="YW_CRAWL"}' in text


async def _subscribe(api_url: str, protocol: str, bus: Bus, site: str) -> dict[str, Any]:
    query = "subscription($s: ID) { documentChanged(site: $s) { url change version siteId } }"
    legacy = protocol == "graphql-ws"
    async with aiohttp.ClientSession() as s, s.ws_connect(f"{api_url}/graphql", protocols=[protocol]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        subscribe = {"query": query, "variables": {"s": site}}
        await ws.send_json({"id": "1", "type": "start" if legacy else "subscribe", "payload": subscribe})
        other = DocumentChanged(
            document_id="d0", url="http://x/other", site_id="api-county", change="created", version=1, content_hash="h"
        )
        mine = DocumentChanged(
            document_id="d1", url=f"http://x/{protocol}", site_id=site, change="updated", version=2, content_hash="h"
        )

        async def publish() -> None:  # the other site's event first: the filter must drop it
            await bus.publish(other)
            await bus.publish(mine)

        return dict((await first_data(ws, publish))["documentChanged"])


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_document_changed_subscription(api_url: str, bus: Bus, protocol: str, seeded: None) -> None:
    got = await _subscribe(api_url, protocol, bus, "api-portal")
    assert got == {"url": f"http://x/{protocol}", "change": "updated", "version": 2, "siteId": "api-portal"}


@pytest.mark.parametrize(
    "query",
    [
        'subscription { documentChanged(site: "api-portl") { url } }',
        'subscription { alerts(site: "api-portl") { rule } }',
        'subscription { hotQueries(window: DAY, site: "api-portl") { query } }',
    ],
)
async def test_a_subscription_to_a_site_not_stored_is_not_found(api_url: str, query: str, seeded: None) -> None:
    """A typo in the site id answers at once; it used to subscribe to nothing, silently, forever."""
    errors = await _first_errors(api_url, query)
    assert errors[0]["extensions"]["code"] == "NOT_FOUND" and "api-portl" in errors[0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        'subscription { documentChanged(site: "") { url } }',
        'subscription { alerts(site: "") { rule } }',
        'subscription { hotQueries(window: DAY, site: "") { query } }',
    ],
)
async def test_a_subscription_to_an_empty_site_id_is_bad_input(api_url: str, query: str, seeded: None) -> None:
    """An empty site id (a frontend's unset variable) is refused; it used to listen to every site of the group."""
    errors = await _first_errors(api_url, query)
    assert errors[0]["extensions"]["code"] == "BAD_INPUT" and "is not a site id" in errors[0]["message"]


async def _first_errors(api_url: str, query: str) -> list[dict[str, Any]]:
    """The errors a subscription answers first (graphql-transport-ws)."""
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{api_url}/graphql", protocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        got = await ws.receive_json(timeout=5)
    errors: list[dict[str, Any]] = got["payload"] if got["type"] == "error" else got["payload"]["errors"]
    return errors


async def test_graphiql_is_served_at_the_endpoint(api_url: str) -> None:
    async with aiohttp.ClientSession() as s, s.get(f"{api_url}/graphql", headers={"Accept": "text/html"}) as r:
        assert r.status == 200 and "graphiql" in (await r.text()).lower()

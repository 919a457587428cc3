"""What anonymous users could change for others, attacked through GraphQL: suggestions, related searches, clicks.

Clients are told apart by their address: each test client connects from its own loopback address
(127.0.0.2, 127.0.0.3, …), as distinct hosts on the internet would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import Bus, ConsumerRunner
from core.search import IndexDoc
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import ADMIN_TOKEN
from tests.polling import eventually
from workers.analytics import AnalyticsConsumer

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]  # words of this run, so a rerun against the same database starts clean
SITE = "abuse-portal"
DOCS = [
    IndexDoc(
        id=f"abuse-{i}", url=f"http://127.0.0.1:1/abuse/{i}.html", title=title, kind="service", text=text, site=SITE
    )
    for i, (title, text) in enumerate(
        [
            ("居住证积分申请指南", "居住证 积分 申请 办理 材料"),
            ("居住证签注办理", "居住证 签注 续期"),
            ("网友留言：狗官不作为", "留言 居住证 狗官 不作为"),
            ("殡葬补贴申领", "殡葬 补贴 申领 居住证"),
        ],
        1,
    )
]
LEGIT = "居住证积分申请"  # what three people search
SPAM = "居住证签注办理"  # what one client sends 300 times
SENSITIVE = "狗官 居住证"  # finds results, but holds a listed word
NOTHING = f"qxzv{RUN}"  # finds nothing
SEARCH = "query($q: String!, $s: Int) { search(query: $q, pageSize: $s) { searchId total related hits { documentId position } } }"  # noqa: E501
CLICK = "mutation($s: String!, $d: ID!, $p: Int!) { recordClick(searchId: $s, documentId: $d, position: $p) }"
SUGGEST = "query($p: String!) { suggest(prefix: $p, limit: 20) { text source } }"
CANDIDATES = """query($c: String) { suggestionCandidates(contains: $c) { minClients windowDays total
    items { query clients blocked surfaced } } }"""


@pytest.fixture(scope="module")
async def api(settings: Settings) -> AsyncIterator[str]:
    writer = TantivyEngine(settings.data_dir)
    await writer.open()
    await writer.upsert(DOCS)
    await writer.close()
    overrides: dict[str, Any] = {
        "suggest_min_clients": 3,
        "suggest_refresh_s": 1.0,
        "search_id_key": "search-id-key-for-tests-0123456789",
        "rate_limit_per_min": 0,  # this module sends hundreds of searches from one address on purpose
    }
    async with serve_api(settings, **overrides) as url:
        await eventually(
            lambda: search_from(2, url, LEGIT),
            lambda s: s["total"] >= 1,
            timeout=20,
            what="the API's index reader sees the documents",
        )
        yield url


async def post(url: str, query: str, variables: dict[str, Any], *, client: int, token: str | None = None) -> Any:
    """POST GraphQL from 127.0.0.<client>."""
    connector = aiohttp.TCPConnector(local_addr=(f"127.0.0.{client}", 0))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession(connector=connector) as s,
        s.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers) as r,
    ):
        return await r.json()


async def search_from(client: int, url: str, query: str, page_size: int = 10) -> dict[str, Any]:
    out = await post(url, SEARCH, {"q": query, "s": page_size}, client=client)
    assert "errors" not in out, out
    return dict(out["data"]["search"])


async def suggested(url: str, prefix: str) -> list[str]:
    out = await post(url, SUGGEST, {"p": prefix}, client=9)
    return [s["text"] for s in out["data"]["suggest"] if s["source"] == "query"]


async def candidates(url: str, contains: str) -> dict[str, dict[str, Any]]:
    out = await post(url, CANDIDATES, {"c": contains}, client=1, token=ADMIN_TOKEN)
    assert "errors" not in out, out
    return {c["query"]: c for c in out["data"]["suggestionCandidates"]["items"]}


async def test_one_client_zero_results_and_sensitive_words_never_become_suggestions(api: str) -> None:
    async def spam(n: int) -> None:
        for _ in range(n):
            await search_from(2, api, SPAM)

    await asyncio.gather(*(spam(30) for _ in range(10)))  # 300 searches of one phrase from one client
    for client in (2, 3, 4):
        assert (await search_from(client, api, NOTHING))["total"] == 0
        assert (await search_from(client, api, SENSITIVE))["total"] >= 1
        await search_from(client, api, LEGIT)
    # the web office sees every counted query before it surfaces
    seen = await candidates(api, "居住证")
    assert seen[SPAM]["clients"] == 1 and not seen[SPAM]["surfaced"]
    assert seen[LEGIT]["clients"] == 3 and seen[LEGIT]["surfaced"]
    assert NOTHING not in await candidates(api, NOTHING) and SENSITIVE not in seen
    # three clients made LEGIT a suggestion: by then the 300 searches of SPAM have been counted too
    await eventually(lambda: suggested(api, "居住证"), lambda s: LEGIT in s, timeout=20, what="LEGIT suggested")
    assert SPAM not in await suggested(api, "居住证") and SPAM not in await suggested(api, "juzhuzheng")
    assert not any("狗官" in s for s in await suggested(api, "狗"))
    related = (await search_from(5, api, "居住证"))["related"]
    assert LEGIT in related and SPAM not in related and SENSITIVE not in related


async def test_a_blocked_suggestion_disappears_at_once_and_comes_back_when_unblocked(api: str) -> None:
    for client in (2, 3, 4):
        await search_from(client, api, LEGIT)
    await eventually(lambda: suggested(api, "居住证"), lambda s: LEGIT in s, timeout=20, what="LEGIT suggested")
    anonymous = await post(api, 'mutation { blockSuggestion(query: "居住证积分申请") }', {}, client=2)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    blocked = await post(
        api, "mutation($q: String!) { blockSuggestion(query: $q) }", {"q": LEGIT}, client=1, token=ADMIN_TOKEN
    )
    assert blocked["data"]["blockSuggestion"] is True
    assert LEGIT not in await suggested(api, "居住证") and LEGIT not in await suggested(api, "jzz")
    assert LEGIT not in (await search_from(5, api, "居住证"))["related"]
    assert (await candidates(api, LEGIT))[LEGIT] | {"clients": 0} == {
        "query": LEGIT,
        "clients": 0,
        "blocked": True,
        "surfaced": False,
    }
    unblocked = await post(
        api, "mutation($q: String!) { unblockSuggestion(query: $q) }", {"q": LEGIT}, client=1, token=ADMIN_TOKEN
    )
    assert unblocked["data"]["unblockSuggestion"] is True
    assert LEGIT in await suggested(api, "居住证")


async def test_candidates_are_for_admins_only(api: str) -> None:
    out = await post(api, CANDIDATES, {"c": None}, client=2)
    assert out["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" and out["data"] is None


@pytest.fixture(scope="module")
async def analytics(pg_pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[None]:
    runner = ConsumerRunner(bus, AnalyticsConsumer(pg_pool, bus), batch=100, ack_wait_s=5)
    task = asyncio.create_task(runner.run())
    yield
    runner.stop()
    await asyncio.wait_for(task, timeout=10)


async def click(api: str, search_id: str, document: str, position: int) -> Any:
    return await post(api, CLICK, {"s": search_id, "d": document, "p": position}, client=6)


def refused(out: Any, why: str) -> bool:
    error = out["errors"][0]
    return bool(error["extensions"]["code"] == "BAD_INPUT" and why in error["message"])


async def test_a_legitimate_click_reaches_analytics(api: str, analytics: None, pg_pool: asyncpg.Pool) -> None:
    found = await search_from(6, api, LEGIT, page_size=2)
    hit = found["hits"][0]
    out = await click(api, found["searchId"], hit["documentId"], hit["position"])
    assert out == {"data": {"recordClick": True}}
    nonce = found["searchId"].split(".")[0]  # events and analytics name the search as before: 32 hex digits
    assert len(nonce) == 32

    async def counted() -> Any:
        sql = "select count(*) from analytics_clicks where search_id = $1 and counted and position = $2"
        return await pg_pool.fetchval(sql, nonce, hit["position"])

    await eventually(counted, lambda n: n == 1, timeout=20, what="the click counted by analytics")


async def test_forged_ids_positions_off_the_page_and_an_eleventh_click_are_refused(api: str) -> None:
    found = await search_from(6, api, "居住证", page_size=2)
    sid, doc = found["searchId"], found["hits"][0]["documentId"]
    assert len(found["hits"]) == 2
    nonce, page, size, served, scenes, issued, tags, mac = sid.split(".")
    forgeries = [
        "0123456789abcdef0123456789abcdef",  # the old format, made up
        f"{uuid.uuid4().hex}.{page}.{size}.{served}.{scenes}.{issued}.{tags}.{mac}",  # another search's signature
        f"{nonce}.1.100.100.{scenes}.{issued}.{tags}.{mac}",  # a wider page
        f"{nonce}.{page}.{size}.{served}.{scenes}.{issued}.{tags}.{'0' * 32}",
        f"{nonce}.{page}.{size}.{served}.{scenes}.{issued}.{mac}",  # the format before documents were tagged
    ]
    for forged in forgeries:
        assert refused(await click(api, forged, doc, 1), "not an id returned by search"), forged
    for position in (3, 0, 50, 100_000):
        assert refused(await click(api, sid, doc, position), "not on the page"), position
    shown = [(h["documentId"], h["position"]) for h in found["hits"]]
    for i in range(10):
        assert (await click(api, sid, *shown[i % 2]))["data"]["recordClick"] is True
    assert refused(await click(api, sid, *shown[1]), "10 clicks")
    fresh = await search_from(6, api, "居住证", page_size=2)  # a new search has its own clicks
    second = fresh["hits"][1]
    assert (await click(api, fresh["searchId"], second["documentId"], 2))["data"]["recordClick"] is True


async def test_a_click_on_a_document_not_at_that_position_is_refused_and_not_counted(
    api: str, analytics: None, pg_pool: asyncpg.Pool
) -> None:
    query = "query($q: String!) { search(query: $q, pageSize: 2) { searchId hits { documentId position } scenes { hits { documentId position } } } }"  # noqa: E501
    out = await post(api, query, {"q": "居住证"}, client=7)
    found = out["data"]["search"]
    sid, (first, second) = found["searchId"], found["hits"]
    assert refused(await click(api, sid, second["documentId"], 1), "documentId was not at position 1")
    assert refused(await click(api, sid, "abuse-not-a-result", 2), "documentId was not at position 2")
    scene_hit = next(h for s in found["scenes"] for h in s["hits"] if h["position"] != 1)
    assert (await click(api, sid, scene_hit["documentId"], scene_hit["position"]))["data"]["recordClick"] is True
    assert (await click(api, sid, first["documentId"], 1))["data"]["recordClick"] is True
    nonce = sid.split(".")[0]

    async def clicks() -> list[tuple[str, int]]:
        rows = await pg_pool.fetch("select document_id, position from analytics_clicks where search_id = $1", nonce)
        return sorted((r["document_id"], r["position"]) for r in rows)

    expected = sorted({(scene_hit["documentId"], scene_hit["position"]), (first["documentId"], 1)})
    assert (
        await eventually(clicks, lambda got: len(got) >= len(expected), timeout=20, what="the clicks counted")
        == expected
    )
    for _ in range(8):  # the refused clicks took none of the search's 10
        assert (await click(api, sid, first["documentId"], 1))["data"]["recordClick"] is True

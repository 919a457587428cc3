"""Pins through GraphQL under load and past their time: the per-query limit holds, an expired pin is no pin."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from core.bus import PageFetched
from core.documents import apply_pages, get_document
from core.search.store import MAX_PINS_PER_QUERY
from core.sites import parse_sites, sync_sites
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration

SITES = "sites:\n  - {id: pins-portal, name: 置顶测试市, level: 市, start_urls: ['http://127.0.0.1:1/']}\n"
PIN = "mutation($q: String!, $d: ID!) { pinResult(query: $q, documentId: $d) { query } }"
PIN_UNTIL = (
    'mutation($q: String!, $d: ID!) { pinResult(query: $q, documentId: $d, until: "2099-01-01T00:00:00Z") { query } }'
)
UNPIN = "mutation($q: String!, $d: ID!) { unpinResult(query: $q, documentId: $d) }"
PINNED = '{ search(query: "%s", pageSize: 50) { hits { documentId pinned } } }'


def notice(i: int, url: str) -> PageFetched:
    return PageFetched(
        site_id="pins-portal",
        url=url,
        status=200,
        content_hash=url,
        kind="notice",
        title=f"置顶公告{i}",
        text="置顶公告",
        fetched_at="2026-01-01T00:00:00+00:00",
    )


@pytest.fixture(scope="module")
async def notices(pg_pool: asyncpg.Pool) -> list[str]:
    """Ids of 16 stored notices (pins need a document in Postgres; the index need not hold them)."""
    await sync_sites(pg_pool, parse_sites(SITES))
    urls = [f"http://127.0.0.1:1/pins/{i}.html" for i in range(16)]
    pages = [notice(i, url) for i, url in enumerate(urls)]
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, pages)
    return [(await get_document(pg_pool, url=url)).id for url in urls]


async def test_concurrent_pins_of_one_query_stop_at_the_limit(api_url: str, notices: list[str]) -> None:
    query = "并发置顶测试"
    outs = await asyncio.gather(*(gql(api_url, PIN, {"q": query, "d": d}) for d in notices))
    pinned = [d for d, out in zip(notices, outs, strict=True) if "errors" not in out]
    refused = [out["errors"][0] for out in outs if "errors" in out]
    assert len(pinned) == MAX_PINS_PER_QUERY, f"{len(pinned)} pins were accepted"
    assert {e["extensions"]["code"] for e in refused} == {"BAD_INPUT"}
    assert all(f"at most {MAX_PINS_PER_QUERY}" in e["message"] for e in refused)
    hits = (await gql(api_url, PINNED % query))["data"]["search"]["hits"]
    assert sorted(h["documentId"] for h in hits if h["pinned"]) == sorted(pinned)
    # re-pinning one already pinned is not a new pin; after an unpin there is room for one more
    assert "errors" not in await gql(api_url, PIN, {"q": query, "d": pinned[0]})
    assert (await gql(api_url, UNPIN, {"q": query, "d": pinned[0]}))["data"]["unpinResult"] is True
    outs = await asyncio.gather(*(gql(api_url, PIN, {"q": query, "d": d}) for d in notices if d not in pinned))
    assert sum("errors" not in out for out in outs) == 1


async def test_unpin_of_an_expired_pin_answers_as_for_no_pin(
    api_url: str, notices: list[str], pg_pool: asyncpg.Pool
) -> None:
    query, doc = "过期置顶测试", notices[0]
    unknown = await gql(api_url, UNPIN, {"q": query, "d": doc})
    assert unknown["data"]["unpinResult"] is False
    by_url = await gql(api_url, UNPIN, {"q": query, "d": "https://www.example.gov.cn/1.html"})
    assert by_url["errors"][0]["extensions"]["code"] == "BAD_INPUT", "not a quiet false, as if there were no pin"
    out = await gql(api_url, PIN_UNTIL, {"q": query, "d": doc})
    assert "errors" not in out, out
    # its time passes (the API refuses an `until` in the past, so the row is aged here)
    await pg_pool.execute("update search_pins set until = now() - interval '1 minute' where query_norm = $1", query)
    hits = (await gql(api_url, PINNED % query))["data"]["search"]["hits"]
    assert not any(h["pinned"] for h in hits), "an expired pin is not shown"
    assert (await gql(api_url, UNPIN, {"q": query, "d": doc}))["data"]["unpinResult"] is False
    assert (await gql(api_url, UNPIN, {"q": query, "d": doc}))["data"]["unpinResult"] is False


async def test_expired_pins_leave_room_under_the_limit(api_url: str, notices: list[str], pg_pool: asyncpg.Pool) -> None:
    query = "到期腾位测试"
    first = notices[:MAX_PINS_PER_QUERY]
    for d in first:
        out = await gql(api_url, PIN_UNTIL, {"q": query, "d": d})
        assert "errors" not in out, out
    full = await gql(api_url, PIN, {"q": query, "d": notices[MAX_PINS_PER_QUERY]})
    assert full["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    await pg_pool.execute(
        "update search_pins set until = now() - interval '1 minute' where query_norm = $1 and document_id = $2",
        query,
        first[0],
    )
    assert "errors" not in await gql(api_url, PIN, {"q": query, "d": notices[MAX_PINS_PER_QUERY]})

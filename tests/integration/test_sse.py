"""GraphQL over Server-Sent Events (graphql-sse, distinct connections mode) over real HTTP: `next` and `complete`
events, live NATS events, GET for EventSource, bad bodies, and the same subscription caps and rate limit as
websockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest

from api.sse import for_stream
from core.bus import Bus, DocumentChanged
from core.settings import Settings
from schema.context import Context
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site
from tests.polling import eventually, until_delivered

pytestmark = pytest.mark.integration
STREAM = {"Accept": "text/event-stream"}
HOT = "subscription { hotQueries(window: HOUR, limit: 3) { query } }"


def hot_list(payload: dict[str, object]) -> bool:
    """A hotQueries result: the session's shared database may hold other tests' searches, so only its shape."""
    data = payload.get("data")
    if not isinstance(data, dict) or set(data) != {"hotQueries"} or not isinstance(data["hotQueries"], list):
        return False
    return len(data["hotQueries"]) <= 3 and all(set(h) == {"query"} for h in data["hotQueries"])


@pytest.fixture(scope="module")
async def api(settings: Settings) -> AsyncIterator[str]:
    async with serve_api(settings, max_subscriptions_per_client=2) as url:
        yield url


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event, parsed data) of an SSE response, keep-alive comments skipped."""
    name, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data = line.removeprefix("data:").strip()
        elif line == "" and name:
            yield name, json.loads(data) if data else None
            name, data = "", ""


async def all_events(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> list[tuple[str, Any]]:
    async with http.stream("POST", f"{url}/graphql", json=body, headers=STREAM) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        return [e async for e in events(r)]


async def test_a_subscription_streams_next_events(api: str) -> None:
    async with (
        httpx.AsyncClient(timeout=20) as http,
        http.stream("POST", f"{api}/graphql", json={"query": HOT}, headers=STREAM) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "no-cache" in r.headers["cache-control"]
        name, data = await anext(events(r))
    assert name == "next" and hot_list(data)


async def test_a_query_over_sse_is_one_next_then_complete(api: str) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        got = await all_events(http, api, {"query": "{ sites { id } }"})
    assert [name for name, _ in got] == ["next", "complete"]
    assert "sites" in got[0][1]["data"]


async def test_live_events_from_nats_reach_an_sse_subscriber(api: str, bus: Bus, pg_pool: asyncpg.Pool) -> None:
    await add_site(pg_pool, {"id": "sse-site", "name": "SSE 测试站", "level": "市", "start_urls": ["http://x/"]})
    body = {"query": 'subscription { documentChanged(site: "sse-site") { url version } }'}
    event = DocumentChanged(
        document_id="d-sse", url="http://x/sse", site_id="sse-site", change="updated", version=3, content_hash="h"
    )
    async with (
        httpx.AsyncClient(timeout=20) as http,
        http.stream("POST", f"{api}/graphql", json=body, headers=STREAM) as r,
    ):
        first = asyncio.create_task(anext(events(r)))
        await until_delivered(lambda: bus.publish(event), first.done)
        name, data = first.result()
    assert name == "next" and data == {"data": {"documentChanged": {"url": "http://x/sse", "version": 3}}}


async def test_eventsource_style_get_streams_too(api: str) -> None:
    async with (
        httpx.AsyncClient(timeout=20) as http,
        http.stream("GET", f"{api}/graphql", params={"query": HOT}, headers=STREAM) as r,
    ):
        assert r.status_code == 200
        name, data = await anext(events(r))
    assert name == "next" and hot_list(data)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"subscription { hotQueries }", "Unable to parse request body as JSON"),
        (b'{"query": 5}', "`query` must be a string"),
        (b'[{"query": "{ sites { id } }"}]', "Batching is not enabled"),
        (b'{"query": "{ sites { id } }", "variables": "x"}', "`variables` must be an object"),
    ],
)
async def test_an_sse_request_with_a_bad_body_is_a_clear_400(api: str, content: bytes, says: str) -> None:
    headers = {**STREAM, "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=20) as http:
        r = await http.post(f"{api}/graphql", content=content, headers=headers)
    assert r.status_code == 400 and says in r.text


async def test_an_invalid_operation_is_an_error_event_then_complete(api: str) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        syntax = await all_events(http, api, {"query": "subscription { hotQueries(window: HOUR) { query "})
        unknown = await all_events(http, api, {"query": "subscription { nope }"})
    for got in (syntax, unknown):
        assert [name for name, _ in got] == ["next", "complete"]
        assert got[0][1]["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_sse_subscriptions_count_against_the_per_client_cap_until_the_stream_closes(api: str) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        held = []
        for _ in range(2):  # MAX_SUBSCRIPTIONS_PER_CLIENT=2
            r = await http.send(
                http.build_request("POST", f"{api}/graphql", json={"query": HOT}, headers=STREAM), stream=True
            )
            held.append((r, events(r)))
            assert (await anext(held[-1][1]))[0] == "next"
        over = await all_events(http, api, {"query": HOT})
        assert over[0][1]["errors"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS", over
        await held[0][0].aclose()  # the browser closes its EventSource

        async def again() -> list[tuple[str, Any]]:
            async with http.stream("POST", f"{api}/graphql", json={"query": HOT}, headers=STREAM) as r:
                return [await anext(events(r))]

        freed = await eventually(again, lambda got: "errors" not in got[0][1], timeout=10, what="a freed slot")
        await held[1][0].aclose()
    assert freed[0][0] == "next" and hot_list(freed[0][1])


async def test_an_sse_request_takes_a_rate_limit_token_like_any_other(settings: Settings) -> None:
    async with (
        serve_api(settings, rate_limit_per_min=1, rate_limit_burst=2) as url,
        httpx.AsyncClient(timeout=20) as http,
    ):
        first = await all_events(http, url, {"query": "{ sites { id } }"})
        second = await all_events(http, url, {"query": "{ sites { id } }"})
        third = await http.post(f"{url}/graphql", json={"query": HOT}, headers=STREAM)
    assert first[0][0] == second[0][0] == "next"
    assert third.status_code == 429 and third.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


@pytest.mark.parametrize(("accept", "kept"), [("text/event-stream", False), ("application/json", True)])
def test_an_sse_requests_loaders_cache_nothing_as_a_websockets_do(accept: str, kept: bool) -> None:
    request = SimpleNamespace(scope={"type": "http"}, headers={"accept": accept})
    services = SimpleNamespace(pool=None, settings=Settings())  # loaders are built, not run: no pool needed
    context = for_stream(Context(services=services, request=request))  # type: ignore[arg-type]
    assert context.documents.cache is kept and context.sites.cache is kept

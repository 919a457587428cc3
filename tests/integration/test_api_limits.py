"""Limits per client over real HTTP and websockets: rate limit, subscription caps, a shared hot-queries read,
and /metrics on its own port with bounded labels."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

import core.analytics.live
from core.bus import Bus, HotQueriesUpdated
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site
from tests.integration.graphql import ADMIN_TOKEN
from tests.polling import eventually

pytestmark = pytest.mark.integration
SITES = "{ sites { id } }"
HOT = 'subscription { hotQueries(window: DAY, limit: 3, site: "lim-site") { query } }'


async def post(url: str, query: str, *, token: str | None = None) -> aiohttp.ClientResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as s, s.post(f"{url}/graphql", json={"query": query}, headers=headers) as r:
        await r.read()
        return r


@pytest.fixture(scope="module", autouse=True)
async def hot_site(pg_pool: asyncpg.Pool) -> None:
    """The site of HOT is stored: a subscription to a site that is not is NOT_FOUND."""
    await add_site(pg_pool, {"id": "lim-site", "name": "限额测试站", "level": "市", "start_urls": ["http://lim.test/"]})


async def test_an_address_over_its_rate_gets_429_with_retry_after(settings: Settings) -> None:
    async with serve_api(settings, rate_limit_per_min=6, rate_limit_burst=3) as api:
        statuses = [(await post(api, SITES)).status for _ in range(3)]
        assert statuses == [200, 200, 200], "the burst goes through"
        refused = await post(api, SITES)
        assert refused.status == 429 and 1 <= int(refused.headers["Retry-After"]) <= 10
        async with aiohttp.ClientSession() as s, s.post(f"{api}/graphql", json={"query": SITES}) as r:
            body = await r.json()
        assert r.status == 429 and body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert (await post(api, SITES, token=ADMIN_TOKEN)).status == 200, "admin token holders are not limited"
        assert (await post(api, SITES, token="not-the-admin-token-at-all")).status == 429
        async with aiohttp.ClientSession() as s:
            for path in ("/healthz", "/readyz"):
                async with s.get(f"{api}{path}") as r:
                    assert r.status == 200, path
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await s.ws_connect(f"{api}/graphql", protocols=["graphql-transport-ws"])


async def test_operations_over_one_websocket_spend_the_same_tokens(settings: Settings) -> None:
    # A query or a mutation can run over a websocket too: each one started takes a token, so one socket is no
    # way around the limit (opening it took one already).
    async with (
        serve_api(settings, rate_limit_per_min=6, rate_limit_burst=4) as api,
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{api}/graphql", protocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        answered = 0
        for i in range(10):
            await ws.send_json({"id": str(i), "type": "subscribe", "payload": {"query": SITES}})
            msg = await ws.receive(timeout=10)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            while json.loads(msg.data)["type"] != "complete":
                msg = await ws.receive(timeout=10)
            answered += 1
        assert answered == 3, "the burst of 4 less the token the handshake took"
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and ws.close_code == 1008
        assert (await post(api, SITES)).status == 429, "the same client's HTTP requests share the bucket"


def error_of(msg: dict[str, Any]) -> dict[str, Any] | None:
    """The error a subscription was answered with (an `error` message, or a `next` carrying errors), if any."""
    errors = msg["payload"] if msg["type"] == "error" else msg["payload"].get("errors")
    return dict(errors[0]) if errors else None


async def _subscribe(ws: aiohttp.ClientWebSocketResponse, sid: str) -> dict[str, Any]:
    """The first message answering subscription `sid`: its first result or its error."""
    await ws.send_json({"id": sid, "type": "subscribe", "payload": {"query": HOT}})
    while True:
        msg = await ws.receive_json(timeout=10)
        if msg.get("id") == sid and msg["type"] in ("next", "error"):
            return dict(msg)
        assert msg["type"] in ("ping", "pong", "next", "complete"), json.dumps(msg)


@pytest.fixture
async def socket_pair(settings: Settings) -> AsyncIterator[list[aiohttp.ClientWebSocketResponse]]:
    async with (
        serve_api(settings, max_subscriptions_per_connection=2, max_subscriptions_per_client=3) as api,
        aiohttp.ClientSession() as s,
    ):
        sockets = [await s.ws_connect(f"{api}/graphql", protocols=["graphql-transport-ws"]) for _ in range(2)]
        for ws in sockets:
            await ws.send_json({"type": "connection_init", "payload": {}})
            assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        yield sockets
        for ws in sockets:
            await ws.close()


async def test_subscriptions_are_capped_per_connection_and_per_client(
    socket_pair: list[aiohttp.ClientWebSocketResponse],
) -> None:
    one, two = socket_pair
    assert error_of(await _subscribe(one, "1")) is None
    assert error_of(await _subscribe(one, "2")) is None
    refused = error_of(await _subscribe(one, "3"))
    assert refused and refused["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
    assert "MAX_SUBSCRIPTIONS_PER_CONNECTION=2" in refused["message"]
    assert error_of(await _subscribe(two, "4")) is None
    refused = error_of(await _subscribe(two, "5"))
    assert refused and "MAX_SUBSCRIPTIONS_PER_CLIENT=3" in refused["message"]
    await one.send_json({"id": "1", "type": "complete"})
    await eventually(lambda: _answers(two, "6"), timeout=10, what="a subscription freed by completing one")


async def _answers(ws: aiohttp.ClientWebSocketResponse, sid: str) -> bool:
    return error_of(await _subscribe(ws, sid)) is None


async def test_hot_queries_subscribers_share_one_read_per_nudge(
    settings: Settings, bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = 0
    real = core.analytics.live.hot_queries

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await real(*args, **kwargs)

    monkeypatch.setattr(core.analytics.live, "hot_queries", counted)  # a spy: the real read still runs
    async with serve_api(settings) as api, aiohttp.ClientSession() as s:
        sockets = []
        for i in range(5):
            ws = await s.ws_connect(f"{api}/graphql", protocols=["graphql-transport-ws"])
            await ws.send_json({"type": "connection_init", "payload": {}})
            assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
            assert error_of(await _subscribe(ws, f"s{i}")) is None
            sockets.append(ws)
        assert reads == 1, "five subscribers of one list: one read"
        for _ in range(3):
            before = reads
            await bus.notify(HotQueriesUpdated(searches=1, clicks=0, at=datetime.now(UTC).isoformat(), site="lim-site"))
            await eventually(lambda b=before: _more(reads, b), timeout=10, what="the nudge read")
            await asyncio.sleep(1.2)  # not a wait for an event: past the feed's 1 s throttle, so no read is merged
            assert reads == before + 1, "one read per nudge, not one per subscriber"
        for ws in sockets:
            await ws.close()


async def _more(now: int, before: int) -> bool:
    return now > before


def series(text: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {(s.name, tuple(sorted(s.labels.items()))) for f in text_string_to_metric_families(text) for s in f.samples}


async def test_metrics_on_their_own_port_and_random_paths_add_no_series(settings: Settings) -> None:
    port = free_port()
    # no rate limit here: 300 requests from one address would be limited, and this test is about labels
    async with serve_api(settings, metrics_port=port, rate_limit_per_min=0) as api, aiohttp.ClientSession() as s:
        async with s.get(f"{api}/metrics") as r:
            assert r.status == 404, "not on the public port when METRICS_PORT is set"
        async with s.get(f"http://127.0.0.1:{port}/metrics") as r:
            first = series(await r.text())
        for i in range(300):  # the attack: made-up paths and methods
            method = ("GET", "POST", "PURGE", "PROPFIND", "DELETE", "PATCH")[i % 6]  # what uvicorn parses
            async with s.request(method, f"{api}/{secrets.token_hex(5)}/{i}") as r:
                assert r.status in (404, 405)
        async with s.get(f"http://127.0.0.1:{port}/metrics") as r:
            after = series(await r.text())
        triples = {
            (d["method"], d["route"], d["status"])
            for name, lab in after
            if name == "yw_http_request_seconds_count" and (d := dict(lab))
        }
        assert {route for _, route, _ in triples} <= {"/graphql", "/healthz", "/readyz", "/metrics", "other"}
        assert {method for method, _, _ in triples} <= {"GET", "POST", "other"}
        assert len([t for t in triples if t[1] == "other"]) <= 6, "methods × statuses, not one series per path"
        assert len(after) - len(first) < 100, f"{len(after) - len(first)} samples added by 300 random paths"

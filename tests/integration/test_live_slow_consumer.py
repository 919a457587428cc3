"""Over GraphQL: a burst within LIVE_QUEUE_EVENTS reaches a subscriber whole; past it the feed ends with
SLOW_CONSUMER and the same socket can subscribe again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import Bus, DocumentChanged
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site
from tests.integration.graphql import KEEP_ALIVES, first_data
from tests.polling import eventually

pytestmark = pytest.mark.integration

QUERY = "subscription($s: ID) { documentChanged(site: $s) { version url } }"
LIVE_QUEUE = 20


def change(site: str, n: int, path: str = "") -> DocumentChanged:
    return DocumentChanged(
        document_id=f"{site}-{n}",
        url=f"http://{site}.test/{path}{n}",
        site_id=site,
        change="updated",
        version=n,
        content_hash="h",
    )


async def subscribed(ws: aiohttp.ClientWebSocketResponse, bus: Bus, site: str, sid: str) -> None:
    """Subscribe `sid` and wait until it hears (the server subscribes a moment after the message)."""
    await ws.send_json({"id": sid, "type": "subscribe", "payload": {"query": QUERY, "variables": {"s": site}}})
    await first_data(ws, lambda: bus.notify(change(site, 0)))


async def messages(ws: aiohttp.ClientWebSocketResponse, sid: str) -> AsyncIterator[dict[str, Any]]:
    while True:
        msg = await ws.receive_json(timeout=10)
        if msg["type"] not in KEEP_ALIVES and msg.get("id") == sid:
            yield msg


@pytest.fixture
async def socket(
    settings: Settings, pg_pool: asyncpg.Pool
) -> AsyncIterator[tuple[str, aiohttp.ClientWebSocketResponse, str]]:
    site = f"slow{uuid.uuid4().hex[:8]}"
    await add_site(pg_pool, {"id": site, "name": "慢订阅测试站", "level": "市", "start_urls": [f"http://{site}.test/"]})
    async with (
        serve_api(settings, live_queue_events=LIVE_QUEUE) as api,
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{api}/graphql", protocols=["graphql-transport-ws"], compress=0) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        yield site, ws, api


async def test_a_burst_within_the_queue_arrives_whole(socket: tuple[str, Any], bus: Bus) -> None:
    site, ws, _ = socket
    await subscribed(ws, bus, site, "1")
    for n in range(1, 16):
        await bus.notify(change(site, n))
    seen: list[int] = []
    async for msg in messages(ws, "1"):
        assert msg["type"] == "next" and not msg["payload"].get("errors"), msg
        if (version := msg["payload"]["data"]["documentChanged"]["version"]) > 0:  # not a poke's
            seen.append(version)
        if len(seen) == 15:
            break
    assert seen == list(range(1, 16))


async def test_a_subscriber_left_behind_is_ended_with_slow_consumer(socket: tuple[str, Any], bus: Bus) -> None:
    site, ws, api = socket
    await subscribed(ws, bus, site, "1")
    before = await live_metrics(api)  # the process' own title cache listens too, on the same subscription
    for n in range(1, 4001):  # ~8 MB of results the client does not read: the server's sends stop, the feed lags
        await bus.notify(change(site, n, path=uuid.uuid4().hex * 64))
    cut = await eventually(lambda: live_metrics(api), lambda m: m["yw_live_cut_off_total"] == 1, timeout=20)
    assert cut["yw_live_subscriptions"] == 1
    assert cut["yw_live_events_total"] - before["yw_live_events_total"] > LIVE_QUEUE
    async for msg in messages(ws, "1"):  # what was sent before the cut, then its error
        if msg["type"] != "next" or msg["payload"].get("errors"):
            break
    errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "SLOW_CONSUMER", msg
    assert "subscribe again" in errors[0]["message"]
    if msg["type"] == "next":  # graphql-transport-ws: a result with the error, then the end of the operation
        assert await anext(messages(ws, "1")) == {"id": "1", "type": "complete"}
    await subscribed(ws, bus, site, "2")  # the socket stays open: the client resubscribes on it


async def live_metrics(api: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as s, s.get(f"{api}/metrics") as r:
        lines = (await r.text()).splitlines()
    return {k: float(v) for k, v in (line.split(" ") for line in lines if line.startswith("yw_live_"))}

"""Posting GraphQL to a test API (as an admin, the test ADMIN_TOKEN, unless a test says otherwise); subscriptions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from tests.polling import until_delivered

ADMIN_TOKEN = "test-admin-token-0123456789"  # what serve_api configures
KEEP_ALIVES = ("ka", "ping", "pong")  # of graphql-ws and graphql-transport-ws


async def gql(
    api_url: str, query: str, variables: dict[str, Any] | None = None, *, token: str | None = ADMIN_TOKEN
) -> dict[str, Any]:
    """The whole response (data and errors); `token=None` sends no Authorization header."""
    body = {"query": query, "variables": variables or {}}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as s, s.post(f"{api_url}/graphql", json=body, headers=headers) as r:
        assert r.status in (200, 400), await r.text()
        return dict(await r.json())


async def gql_data(api_url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of a response that must have no errors."""
    body = await gql(api_url, query, variables)
    assert not body.get("errors"), body
    return dict(body["data"])


async def next_data(ws: aiohttp.ClientWebSocketResponse, *, timeout: float = 10.0) -> dict[str, Any]:
    """The data of the next result on a subscription socket (either protocol), keep-alives skipped."""
    while True:
        msg = await ws.receive_json(timeout=timeout)
        if msg["type"] in ("next", "data"):
            return dict(msg["payload"]["data"])
        assert msg["type"] in KEEP_ALIVES, json.dumps(msg)


async def first_data(
    ws: aiohttp.ClientWebSocketResponse, poke: Callable[[], Awaitable[object]], *, timeout: float = 15.0
) -> dict[str, Any]:
    """The first result of a subscription just sent, poking (publishing) until one arrives: the server
    subscribes to NATS a moment after the subscribe message, and what is published before is not seen."""
    receiving = asyncio.create_task(next_data(ws, timeout=timeout))
    try:
        await until_delivered(poke, receiving.done, timeout=timeout)
    finally:
        if not receiving.done():
            receiving.cancel()
    return receiving.result()

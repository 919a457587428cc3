"""Live `documentChanged` subscribers over graphql-transport-ws (aiohttp), each as a client of its own address."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

WS_TIMEOUT = aiohttp.ClientWSTimeout(ws_receive=None, ws_close=10)
SUBSCRIPTION = "subscription { documentChanged { url change version changedAt } }"


def client_address(i: int) -> str:
    """The i-th simulated client's address (10.200.0.0/16 onwards), sent as X-Forwarded-For."""
    return f"10.{200 + (i >> 16) % 50}.{i >> 8 & 255}.{i & 255}"


@dataclass
class Subscriber:
    """One websocket holding one documentChanged subscription; when each URL's change arrived."""

    index: int
    received: dict[str, float] = field(default_factory=dict)  # url → arrival (time.time())
    changed: dict[str, float] = field(default_factory=dict)  # url → the change's changedAt (epoch s)
    events: int = 0
    error: str | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, session: aiohttp.ClientSession, url: str) -> None:
        headers = {"X-Forwarded-For": client_address(self.index)}
        try:
            connect = session.ws_connect(url, protocols=("graphql-transport-ws",), headers=headers, timeout=WS_TIMEOUT)
            async with connect as ws:
                await ws.send_json({"type": "connection_init", "payload": {}})
                await asyncio.wait_for(self._expect_ack(ws), timeout=60)
                await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
                self.ready.set()
                await self._listen(ws)
        except Exception as exc:  # a bench counts every failure, whatever it is
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.ready.set()

    async def _expect_ack(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        message = await ws.receive_json(timeout=30)
        if message.get("type") != "connection_ack":
            raise ValueError(f"expected connection_ack, got {message}")

    async def _listen(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(msg.data)
            kind = message.get("type")
            if kind == "next":
                if errors := message["payload"].get("errors"):
                    self.error = f"subscription error: {errors}"
                    return
                self.events += 1
                change = message["payload"]["data"]["documentChanged"]
                self.received.setdefault(change["url"], time.time())
                self.changed.setdefault(change["url"], _epoch(change["changedAt"]))
            elif kind == "ping":
                await ws.send_json({"type": "pong"})
            elif kind in ("error", "complete"):
                self.error = f"{kind}: {message.get('payload')}"
                return
        if self.error is None:
            self.error = f"closed: {ws.close_code}"


def _epoch(value: str) -> float:
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return float("nan")


@contextlib.asynccontextmanager
async def subscribers(url: str, count: int, *, open_per_s: float = 200.0):  # type: ignore[no-untyped-def]
    """`count` subscribers on `url` (ws:// or http://), opened at `open_per_s`, all acknowledged on entry."""
    ws_url = url.replace("http://", "ws://", 1)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        subs = [Subscriber(i) for i in range(count)]
        tasks = []
        for sub in subs:
            tasks.append(asyncio.create_task(sub.run(session, ws_url)))
            await asyncio.sleep(1 / open_per_s)
        try:
            await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), timeout=120 + count / 10)
        except TimeoutError:
            ready = sum(1 for s in subs if s.ready.is_set() and s.error is None)
            raise SystemExit(f"only {ready} of {count} subscriptions open after {120 + count / 10:.0f} s") from None
        try:
            yield subs
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

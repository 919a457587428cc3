"""A failed connection says why, in a word: dns, refused, timeout, tls, reset (real sockets on loopback)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from scrapers.fetch import Fetcher
from scrapers.guard import AddressPolicy, GuardedConnector
from scrapers.robots import RobotsCache

LOOPBACK = AddressPolicy(ranges=(ipaddress.ip_network("127.0.0.0/8"),))


class NoDns(AbstractResolver):
    """Stands in for a resolver with no DNS server to ask (the internet cannot be reached from tests)."""

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")

    async def close(self) -> None:
        return None


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    connector = GuardedConnector(LOOPBACK, resolver=NoDns())
    async with aiohttp.ClientSession(connector=connector) as session:
        yield Fetcher(session, user_agent="yiwang-test/1.0", timeout_s=1.0, retries=0)


async def _server(handle: Any) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_dns_and_refused(fetcher: Fetcher) -> None:
    dns = await fetcher.head("http://www.gov.cn/")
    assert dns.error == "connect_error" and (dns.detail or "").startswith("dns: ")
    refused = await fetcher.head(f"http://127.0.0.1:{_closed_port()}/")
    assert refused.error == "connect_error" and (refused.detail or "").startswith("refused: ")


async def test_silence_is_a_timeout_and_a_hang_up_a_reset(fetcher: Fetcher) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.close()

    quiet, quiet_port = await _server(silent)
    rude, rude_port = await _server(hang_up)
    async with quiet, rude:
        assert (await fetcher.head(f"http://127.0.0.1:{quiet_port}/")).error == "timeout"
        reset = await fetcher.head(f"http://127.0.0.1:{rude_port}/")
        assert reset.error == "connect_error" and (reset.detail or "").startswith("reset: ")


async def test_https_to_a_server_that_speaks_no_tls_is_tls(fetcher: Fetcher) -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server, port = await _server(plain)
    async with server:
        res = await fetcher.head(f"https://127.0.0.1:{port}/")
    assert res.error == "connect_error" and (res.detail or "").startswith("tls: "), res.detail


async def test_robots_txt_unreachable_says_why() -> None:
    connector = GuardedConnector(LOOPBACK, resolver=NoDns())
    async with aiohttp.ClientSession(connector=connector) as session:
        robots = RobotsCache(session, user_agent="yiwang-test/1.0")
        fetcher = Fetcher(session, user_agent="yiwang-test/1.0", timeout_s=1.0, retries=0, robots=robots)
        res = await fetcher.head("https://beian.miit.gov.cn/")
    assert res.error == "robots_unavailable" and (res.detail or "").startswith("dns: ")

"""The guard of tests/unit/conftest.py: outside addresses are refused before any packet leaves, loopback works."""

from __future__ import annotations

import asyncio
import socket

import pytest

OUTSIDE = ("203.0.113.7", 80)  # TEST-NET-3 (RFC 5737): never routed, and the guard refuses before connecting


def test_a_connection_to_an_outside_address_is_refused_before_it_is_made() -> None:
    with socket.socket() as s, pytest.raises(RuntimeError, match="must not reach the network"):
        s.connect(OUTSIDE)
    with socket.socket() as s, pytest.raises(RuntimeError, match="must not reach the network"):
        s.connect_ex(OUTSIDE)
    with socket.socket(socket.AF_INET6) as s, pytest.raises(RuntimeError, match="must not reach the network"):
        s.connect(("2001:db8::1", 80, 0, 0))


async def test_asyncio_connections_are_refused_too() -> None:
    with pytest.raises(RuntimeError, match="must not reach the network"):
        await asyncio.open_connection(*OUTSIDE)


async def test_loopback_servers_of_the_test_itself_are_reachable() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await reader.read() == b"ok"
        writer.close()
        await writer.wait_closed()

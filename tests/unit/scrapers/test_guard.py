"""The outbound address guard: the classifier, the policy, and real fetches through the guarded connector.

Fetches go to loopback servers only; a stub resolver stands in for DNS (which cannot run here) where a name
must resolve to chosen addresses. 169.254.169.254 is only ever refused: a connect spy proves no socket tried it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from scrapers.fetch import Fetcher
from scrapers.guard import (
    AddressPolicy,
    GuardedConnector,
    GuardedResolver,
    RefusedAddress,
    address_class,
    endpoints,
    site_policy,
)

UA = "yiwang-crawler/0.1"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),  # NAT64 of a public address
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12::1", "private"),
        ("fec0::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.254", "cgnat"),
        ("169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "reserved"),
        ("2001:db8::1", "reserved"),
        ("2001::1", "reserved"),  # Teredo
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.5", "private"),
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a00:5::1", "private"),  # 6to4 of 10.0.0.5
        ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 of 169.254.169.254
        ("64:ff9b::7f00:1", "loopback"),
    ],
)
def test_address_classes(address: str, expected: str | None) -> None:
    assert address_class(ipaddress.ip_address(address)) == expected


def test_policy_trusts_named_endpoints_by_port_never_metadata_and_allows_ranges() -> None:
    policy = site_policy(
        {
            "start_urls": ["http://127.0.0.1:8001/"],
            "allowed_hosts": ["intranet.example"],
            "feeds": ["https://feeds.example/rss"],
            "allow_private": ["10.20.0.0/16"],
        },
        group=[{"start_urls": ["http://127.0.0.1:8002/"]}],
    )
    assert policy.refusal("127.0.0.1", 8001, "127.0.0.1") is None
    assert policy.refusal("127.0.0.1", 8002, "127.0.0.1") is None, "a host another configured site names"
    refused = policy.refusal("127.0.0.1", 6379, "127.0.0.1")
    assert refused is not None and refused.why == "loopback", "the same address on another port is not named"
    assert policy.refusal("intranet.example", 80, "192.168.3.4") is None
    assert policy.refusal("intranet.example", 443, "192.168.3.4") is None
    assert policy.refusal("intranet.example", 8080, "192.168.3.4") is not None
    assert policy.refusal("intranet.example", 80, "169.254.169.254") is not None, "a name never reaches metadata"
    assert policy.refusal("anything.example", 80, "10.20.3.4") is None, "the operator's range"
    assert policy.refusal("anything.example", 80, "10.21.3.4") is not None
    assert policy.refusal("anything.example", 80, "93.184.216.34") is None, "public addresses are fine"
    assert policy.refusal("feeds.example", 443, "127.0.0.1") is None and policy.refusal("feeds.example", 80, "::1")


def test_endpoints_of_urls_and_bare_hosts() -> None:
    assert endpoints("http://127.0.0.1:8001/x") == {("127.0.0.1", 8001)}
    assert endpoints("https://[::1]/") == {("::1", 443)}
    assert endpoints("Example.GOV.cn.") == {("example.gov.cn", 80), ("example.gov.cn", 443)}
    assert endpoints("http://bad:port/") == set()


class StubResolver(AbstractResolver):
    """Stands in for DNS: answers each name with the addresses given, and counts the questions."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET, proto=0, flags=0)
            for a in self.answers.get(host, [])
        ]

    async def close(self) -> None:
        return None


async def test_resolver_keeps_only_allowed_addresses_of_a_mixed_answer() -> None:
    stub = StubResolver({"mixed.example": ["10.0.0.5", "93.184.216.34", "169.254.169.254"], "bad.example": ["::1"]})
    resolver = GuardedResolver(AddressPolicy(), stub)
    assert [r["host"] for r in await resolver.resolve("mixed.example", 80)] == ["93.184.216.34"]
    with pytest.raises(RefusedAddress) as refused:
        await resolver.resolve("bad.example", 80)
    assert refused.value.refusal.why == "loopback"


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address a socket of this process tried to connect to (on top of the unit tests' network block)."""
    seen: list[Any] = []
    inner = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(address)
        inner(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


async def _serve(host: str, hits: list[str], port: int = 0) -> tuple[web.AppRunner, int]:
    async def handle(request: web.Request) -> web.Response:
        hits.append(f"{host}{request.path}")
        return web.Response(text="<html><title>t</title></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


@pytest.fixture
async def servers() -> AsyncIterator[tuple[int, list[str]]]:
    """A site on 127.0.0.1 and a canary on 127.0.0.2, both on the same port number; every hit recorded."""
    hits: list[str] = []
    site, port = await _serve("127.0.0.1", hits)
    canary, _ = await _serve("127.0.0.2", hits, port)
    try:
        yield port, hits
    finally:
        await site.cleanup()
        await canary.cleanup()


async def _get(policy: AddressPolicy, url: str, resolver: AbstractResolver | None = None) -> Any:
    connector = GuardedConnector(policy, resolver=resolver)
    async with aiohttp.ClientSession(connector=connector) as session:
        return await Fetcher(session, user_agent=UA, retries=0).fetch(url)


async def test_literal_addresses_are_checked_although_aiohttp_skips_the_resolver(
    servers: tuple[int, list[str]], connects: list[Any]
) -> None:
    port, hits = servers
    stub = StubResolver({})
    refused = await _get(AddressPolicy(), f"http://127.0.0.2:{port}/x", stub)
    assert refused.error == "refused_address" and refused.detail == f"loopback: 127.0.0.2 (127.0.0.2:{port})"
    assert stub.asked == [] and hits == [] and connects == []
    metadata = await _get(AddressPolicy(), "http://169.254.169.254/latest/meta-data/", stub)
    assert metadata.error == "refused_address" and (metadata.detail or "").startswith("metadata: ")
    assert connects == [], "refused before any socket connected"
    trusted = AddressPolicy(frozenset({("127.0.0.1", port)}))
    assert (await _get(trusted, f"http://127.0.0.1:{port}/ok")).status == 200 and hits == ["127.0.0.1/ok"]


async def test_a_name_connects_only_to_the_addresses_that_passed(
    servers: tuple[int, list[str]], connects: list[Any]
) -> None:
    """DNS rebinding: the addresses checked are the ones connected to, with no second lookup in between."""
    port, hits = servers
    stub = StubResolver({"rebind.example": ["127.0.0.2", "127.0.0.1"]})
    policy = AddressPolicy(ranges=(ipaddress.ip_network("127.0.0.1/32"),))
    res = await _get(policy, f"http://rebind.example:{port}/page", stub)
    assert res.status == 200 and hits == ["127.0.0.1/page"], "the canary on 127.0.0.2 heard nothing"
    assert [a[0] for a in connects] == ["127.0.0.1"]
    refused = await _get(AddressPolicy(), f"http://rebind.example:{port}/page", stub)
    assert refused.error == "refused_address" and hits == ["127.0.0.1/page"]


async def test_a_redirect_to_a_refused_address_stops_at_that_hop(servers: tuple[int, list[str]]) -> None:
    port, hits = servers

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.2:{port}/inside")

    app = web.Application()
    app.router.add_get("/away", away)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    origin = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        res = await _get(AddressPolicy(frozenset({("127.0.0.1", origin)})), f"http://127.0.0.1:{origin}/away")
    finally:
        await runner.cleanup()
    assert res.status == 302 and res.redirects == [f"http://127.0.0.2:{port}/inside"]
    assert res.error == "refused_address" and hits == []

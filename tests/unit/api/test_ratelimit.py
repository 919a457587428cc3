"""The rate limit as a client meets it: a token bucket per address, 429 with Retry-After, proxies believed
only when configured."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from api import ratelimit
from api.ratelimit import RateLimitMiddleware, TokenBuckets, client_address, trusted_networks
from core.settings import Settings
from schema.context import CLIENT_SCOPE_KEY

TOKEN = "admin-token-0123456789abcdef"


async def whoami(request: Request) -> Response:
    return PlainTextResponse(request.scope[CLIENT_SCOPE_KEY])


def app(now: list[float], **settings: object) -> RateLimitMiddleware:
    routes = [Route("/graphql", whoami, methods=["GET", "POST"]), Route("/healthz", whoami)]
    config = Settings(admin_token=TOKEN, rate_limit_per_min=60, rate_limit_burst=2, **settings)  # type: ignore[arg-type]
    return RateLimitMiddleware(Starlette(routes=routes), config, clock=lambda: now[0])


def client(asgi: RateLimitMiddleware, peer: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=asgi, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://api")


async def test_an_address_gets_its_burst_then_429_with_retry_after_then_tokens_back() -> None:
    now = [0.0]
    async with client(app(now)) as c:
        assert [(await c.get("/graphql")).status_code for _ in range(2)] == [200, 200]
        refused = await c.get("/graphql")
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        now[0] += 1.0  # one token a second at 60 a minute
        assert (await c.get("/graphql")).status_code == 200
        assert (await c.get("/graphql")).status_code == 429


async def test_other_addresses_admins_and_probes_are_not_held_back() -> None:
    now = [0.0]
    limited = app(now)
    async with client(limited) as c:
        for _ in range(3):
            await c.get("/graphql")
        assert (await c.get("/graphql")).status_code == 429
        assert (await c.get("/healthz")).status_code == 200
        assert (await c.get("/graphql", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
        assert (await c.get("/graphql", headers={"Authorization": "Bearer guess-guess-guess"})).status_code == 429
    async with client(limited, peer="127.0.0.1") as other:
        assert (await other.get("/graphql")).status_code == 200, "loopback is limited, but has its own bucket"


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    now = [0.0]
    async with client(app(now)) as c:  # no TRUSTED_PROXIES: a made-up header changes nothing
        seen = {(await c.get("/graphql", headers={"X-Forwarded-For": f"198.51.100.{i}"})).text for i in range(2)}
        assert seen == {"203.0.113.7"}
        assert (await c.get("/graphql", headers={"X-Forwarded-For": "198.51.100.9"})).status_code == 429
    async with client(app(now, trusted_proxies="10.0.0.0/8"), peer="10.1.2.3") as proxied:
        r = await proxied.get("/graphql", headers={"X-Forwarded-For": "192.0.2.1, 198.51.100.4, 10.9.9.9"})
        assert r.text == "198.51.100.4", "the last hop the trusted proxies did not add"


def test_client_address_from_the_scope() -> None:
    proxies = trusted_networks("10.0.0.0/8, ::1")
    scope = {"client": ("::1", 1), "headers": [(b"x-forwarded-for", b"not-an-address")]}
    assert client_address(scope, proxies) == "::1", "a header that is not an address is not believed"
    assert client_address({"client": ("203.0.113.1", 1), "headers": []}, proxies) == "203.0.113.1"
    assert client_address({"headers": []}) == "unknown"


def test_buckets_of_idle_addresses_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_BUCKETS", 3)
    now = [0.0]
    buckets = TokenBuckets(60, 5, clock=lambda: now[0])
    for i in range(3):
        buckets.take(f"a{i}")
    now[0] += 10.0  # everyone's bucket is full again
    buckets.take("a3")
    buckets.take("a4")
    assert len(buckets._buckets) <= 2, "a flood of addresses does not grow memory without end"

"""CORS for the group's sites over real HTTP and websockets: preflights on /graphql, the allow-list from
CORS_ORIGINS and from the sites stored in Postgres, no credentials, and the websocket's Origin checked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest

from api.cors import AllowedOrigins
from core.errors import Invalid
from core.settings import Settings
from core.sites import parse_sites, sync_sites
from tests.integration.conftest import serve_api
from tests.polling import eventually

pytestmark = pytest.mark.integration
FRONTEND = "http://frontend.example.test:8080"  # named in CORS_ORIGINS
STRANGER = "https://evil.example.test"  # named nowhere
SITE_WWW, SITE_ZWGK = "https://www.cors-a.gov.cn", "https://zwgk.cors-a.gov.cn"
SITES_YAML = """
sites:
  - id: cors-a
    name: 跨域测试站
    level: 部门
    start_urls: ["https://www.cors-a.gov.cn/index.html"]
    allowed_hosts: ["www.cors-a.gov.cn", "zwgk.cors-a.gov.cn"]
    enabled: true
"""
SITES_QUERY = {"query": "{ sites { id } }"}


@pytest.fixture(scope="module")
async def api(settings: Settings, pg_pool: object) -> AsyncIterator[str]:
    async with serve_api(settings, cors_origins=f"sites, {FRONTEND}", cors_refresh_s=0.2) as url:
        yield url


def preflight(origin: str, method: str = "POST", headers: str = "content-type, authorization") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


async def test_a_preflight_from_an_allowed_origin_is_answered_without_credentials(api: str) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.options(f"{api}/graphql", headers=preflight(FRONTEND))
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == FRONTEND
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-request-id"} <= allowed
    assert r.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in r.headers, "bearer tokens, never cookies"
    assert "Origin" in r.headers["vary"]


async def test_a_preflight_from_another_origin_or_for_another_header_is_refused(api: str) -> None:
    async with httpx.AsyncClient() as http:
        stranger = await http.options(f"{api}/graphql", headers=preflight(STRANGER))
        odd_header = await http.options(f"{api}/graphql", headers=preflight(FRONTEND, headers="x-secret-thing"))
        put = await http.options(f"{api}/graphql", headers=preflight(FRONTEND, method="PUT"))
    assert stranger.status_code == 400 and "origin" in stranger.text
    assert "access-control-allow-origin" not in stranger.headers
    assert odd_header.status_code == 400 and "headers" in odd_header.text
    assert put.status_code == 400 and "method" in put.text


async def test_answers_name_the_allowed_origin_and_expose_what_a_page_reads(api: str) -> None:
    async with httpx.AsyncClient() as http:
        allowed = await http.post(f"{api}/graphql", json=SITES_QUERY, headers={"Origin": FRONTEND})
        stranger = await http.post(f"{api}/graphql", json=SITES_QUERY, headers={"Origin": STRANGER})
    assert allowed.status_code == 200 and "errors" not in allowed.json()
    assert allowed.headers["access-control-allow-origin"] == FRONTEND
    exposed = {h.strip().lower() for h in allowed.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "x-request-id", "retry-after"} <= exposed
    assert "access-control-allow-credentials" not in allowed.headers
    # the server answers (CORS is the browser's to enforce) but names no origin, so a browser withholds it
    assert "access-control-allow-origin" not in stranger.headers
    assert "Origin" in stranger.headers["vary"]


async def test_health_and_metrics_get_no_cors_but_oidc_discovery_does(api: str) -> None:
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{api}/healthz", headers={"Origin": FRONTEND})
        metrics = await http.options(f"{api}/metrics", headers=preflight(FRONTEND, method="GET"))
        discovery = await http.get(f"{api}/.well-known/openid-configuration", headers={"Origin": FRONTEND})
    assert discovery.headers["access-control-allow-origin"] == FRONTEND, "OIDC discovery and keys are read by pages"
    assert health.status_code == 200 and "access-control-allow-origin" not in health.headers
    assert metrics.status_code == 405 and "access-control-allow-origin" not in metrics.headers


async def test_a_browser_app_may_call_the_token_and_userinfo_endpoints_but_not_the_login_pages(api: str) -> None:
    async with httpx.AsyncClient() as http:
        token = await http.options(f"{api}/oidc/token", headers=preflight(FRONTEND, headers="content-type"))
        userinfo = await http.options(f"{api}/oidc/userinfo", headers=preflight(FRONTEND, method="GET"))
        login = await http.options(f"{api}/oidc/login", headers=preflight(FRONTEND))
    for answer in (token, userinfo):
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == FRONTEND
        assert "access-control-allow-credentials" not in answer.headers
    assert "access-control-allow-origin" not in login.headers, "the sign-in page is navigated to, never fetched"


async def test_a_sites_own_origins_are_allowed_once_it_is_stored(api: str, pg_pool: object) -> None:
    async def allowed(origin: str) -> bool:
        async with httpx.AsyncClient() as http:
            r = await http.options(f"{api}/graphql", headers=preflight(origin))
        return r.headers.get("access-control-allow-origin") == origin

    other = "https://www.not-a-site.gov.cn"
    assert not await allowed(SITE_ZWGK)
    await sync_sites(pg_pool, parse_sites(SITES_YAML))  # type: ignore[arg-type]
    # the start URL's origin, and an allowed host under the start URLs' scheme; read again every 0.2 s
    await eventually(lambda: allowed(SITE_WWW), timeout=10, what="the site's start-URL origin allowed")
    assert await allowed(SITE_ZWGK)
    assert not await allowed(other)
    assert not await allowed("http://zwgk.cors-a.gov.cn"), "the scheme the site's start URLs use, only"


async def ws_handshake(api: str, origin: str | None) -> str:
    """`ack` when the socket opened and graphql-transport-ws acknowledged, else the refused status."""
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as s:
        try:
            async with s.ws_connect(f"{api}/graphql", protocols=["graphql-transport-ws"], headers=headers) as ws:
                await ws.send_str(json.dumps({"type": "connection_init"}))
                return str((await ws.receive_json(timeout=10))["type"])
        except aiohttp.WSServerHandshakeError as refused:
            return f"refused {refused.status}"


async def test_the_subscription_websocket_checks_origin_against_the_same_list(api: str) -> None:
    assert await ws_handshake(api, FRONTEND) == "connection_ack"
    assert await ws_handshake(api, STRANGER) == "refused 403"
    assert await ws_handshake(api, None) == "connection_ack", "servers and apps without a browser send none"
    assert await ws_handshake(api, api) == "connection_ack", "the API's own pages"


async def test_a_rate_limited_answer_still_carries_cors_so_a_page_can_read_it(settings: Settings) -> None:
    limits = {"cors_origins": FRONTEND, "rate_limit_per_min": 1, "rate_limit_burst": 1}
    async with serve_api(settings, **limits) as url, httpx.AsyncClient() as http:
        first = await http.post(f"{url}/graphql", json=SITES_QUERY, headers={"Origin": FRONTEND})
        limited = await http.post(f"{url}/graphql", json=SITES_QUERY, headers={"Origin": FRONTEND})
        again = await http.options(f"{url}/graphql", headers=preflight(FRONTEND))
    assert first.status_code == 200
    assert limited.status_code == 429 and limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert limited.headers["access-control-allow-origin"] == FRONTEND and limited.headers["retry-after"]
    assert again.status_code == 200, "a preflight spends no token"


@pytest.mark.parametrize("value", ["*", "https://a.gov.cn/path", "ftp://a.gov.cn", "null", "a.gov.cn"])
def test_cors_origins_that_are_not_origins_are_refused_at_start(value: str) -> None:
    with pytest.raises(Invalid, match="CORS_ORIGINS"):
        Settings.from_env({"CORS_ORIGINS": value})


def test_cors_origins_are_normalised_as_browsers_send_them() -> None:
    from core.setting_values import cors_origin_list

    assert cors_origin_list("sites, HTTPS://WWW.A.gov.cn:443/ ,http://127.0.0.1:8080") == (
        "sites",
        "https://www.a.gov.cn",
        "http://127.0.0.1:8080",
    )


async def test_a_failed_read_of_the_sites_keeps_the_last_list_until_the_next_refresh() -> None:
    now = [0.0]
    reads: list[str] = []

    async def sites() -> list[dict[str, Any]]:
        reads.append("read")
        if len(reads) > 1:
            raise OSError("postgres is down")
        return [{"start_urls": ["https://www.a.gov.cn/"], "allowed_hosts": ["www.a.gov.cn"]}]

    origins = AllowedOrigins(Settings(cors_refresh_s=60), sites, clock=lambda: now[0])
    await origins.fresh()
    assert origins.allows("https://www.a.gov.cn") and not origins.allows("https://www.b.gov.cn")
    now[0] = 61.0
    await origins.fresh()  # fails: the list stays, and no request reads again before the next refresh
    await origins.fresh()
    assert origins.allows("https://www.a.gov.cn") and reads == ["read", "read"]

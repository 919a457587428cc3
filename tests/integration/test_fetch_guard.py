"""Server-side request forgery, performed for real: a hostile page sends the crawler and the link checker to
other loopback addresses and to the cloud metadata address; a canary there must hear nothing.

Every address used is loopback (127.0.0.1-3) except 169.254.169.254, which a socket spy proves is never
connected to: the spy records every connect() of this process and raises for any non-loopback address, so
a guard that let it through would show up as a spy hit and a connect error, not as `refused_address`.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from core.bus import Bus
from core.monitoring import inspect
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site, crawl, fetch_log, html, serve, site_record, unique
from tests.integration.graphql import gql
from workers.checks import check_site_links, checking_fetcher, fetch_policy

pytestmark = pytest.mark.integration
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@dataclass
class Spy:
    """Every address this process tried to connect a socket to."""

    attempts: list[Any] = field(default_factory=list)

    def hosts(self) -> set[str]:
        return {str(a[0]) for a in self.attempts if isinstance(a, tuple)}


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    seen = Spy()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(address: Any) -> None:
        seen.attempts.append(address)
        host = str(address[0]) if isinstance(address, tuple) else ""
        if isinstance(address, tuple) and not (host.startswith("127.") or host in ("::1", "localhost")):
            raise RuntimeError(f"test safety net: a connection to {address!r} was attempted")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield seen


@dataclass
class Canary:
    """One app on 127.0.0.2, 127.0.0.3 (same port) and on another port of 127.0.0.1: it counts what it hears."""

    port: int
    own_ip_port: int
    heard: list[str] = field(default_factory=list)

    def urls(self, path: str) -> list[str]:
        return [
            f"http://127.0.0.2:{self.port}{path}",
            f"http://127.0.0.3:{self.port}{path}",
            f"http://127.0.0.1:{self.own_ip_port}{path}",  # the site's own address, another port: not trusted
            f"http://[::ffff:127.0.0.2]:{self.port}{path}",  # IPv4-mapped IPv6
            f"http://localhost:{self.own_ip_port}{path}",  # a name that resolves to loopback
        ]


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    heard: list[str] = []

    async def record(request: web.Request) -> web.Response:
        heard.append(f"{request.host}{request.path}")
        return web.Response(text="canary")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    first = web.TCPSite(runner, "127.0.0.2", 0)
    await first.start()
    port = first._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    own = web.TCPSite(runner, "127.0.0.1", 0)
    await own.start()
    await web.TCPSite(runner, "127.0.0.3", port).start()
    try:
        yield Canary(port, own._server.sockets[0].getsockname()[1], heard)  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


def hostile_site(canary: Canary) -> web.Application:
    """A configured site whose robots.txt, sitemaps, feed, CKAN portal, redirects and links lead to the canary."""
    out = canary.urls("/x")

    async def handle(request: web.Request) -> web.StreamResponse:
        base = f"http://{request.host}"
        path = request.path
        if path == "/robots.txt":
            lines = [f"Sitemap: {u}" for u in canary.urls("/sitemap.xml")] + [f"Sitemap: {base}/index.xml"]
            return web.Response(text="User-agent: *\nAllow: /\n" + "\n".join(lines) + "\n")
        if path == "/index.xml":
            children = [*canary.urls("/child.xml"), f"{base}/own.xml"]
            locs = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
            body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>'
            return web.Response(text=body, content_type="application/xml")
        if path == "/own.xml":
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/orphan.html</loc></url></urlset>'
            return web.Response(text=body, content_type="application/xml")
        if path in ("/rss.xml", "/away", "/ckan/api/3/action/package_search"):
            raise web.HTTPFound(f"http://127.0.0.2:{canary.port}{path}")
        if path == "/":
            links = ["/a.html", "/away", *out, METADATA_URL]
            anchors = "".join(f'<li><a href="{u}">链接{i}</a></li>' for i, u in enumerate(links))
            return html(f"<html><head><title>首页</title></head><body><h1>首页</h1><ul>{anchors}</ul></body></html>")
        if path in ("/a.html", "/orphan.html"):
            return html(f"<html><head><title>{path}</title></head><body><h1>{path}</h1><p>正文。</p></body></html>")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    return app


async def test_hostile_links_redirects_sitemaps_feeds_and_ckan_never_reach_the_canary(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, canary: Canary, spy: Spy
) -> None:
    async with serve(hostile_site(canary)) as base:
        site_id = unique("ssrf")
        await add_site(pg_pool, site_record(site_id, base, feeds=[f"{base}/rss.xml"], ckan=[f"{base}/ckan"]))
        run = await crawl(settings, pg_pool, bus, site_id)
        now = datetime.now(UTC)
        policy = await fetch_policy(pg_pool, site_id)
        async with checking_fetcher(settings, pg_pool, policy=policy, timeout_s=5) as fetcher:
            checks = {c.url: c for c in await check_site_links(pg_pool, fetcher, site_id, now)}
        await inspect(pg_pool, site_id, now)
        findings = await _findings_over_graphql(settings, site_id)

    assert canary.heard == [], "the canary heard the crawler or the link checker"
    assert "169.254.169.254" not in spy.hosts(), "the metadata address was connected to, not refused before"
    assert "127.0.0.1" in spy.hosts(), "the spy saw the site's own connections (it works)"
    # The site itself still crawls: the home page, its page and the orphan its own sitemap names.
    reasons = {r["url"]: r["reason"] for r in await fetch_log(pg_pool, run.crawl_id)}
    assert {f"{base}/", f"{base}/a.html", f"{base}/orphan.html"} <= {u for u, r in reasons.items() if r is None}
    refused = {u for u, r in reasons.items() if r == "refused_address"}
    assert set(canary.urls("/sitemap.xml") + canary.urls("/child.xml")) <= refused, reasons
    assert {f"{base}/rss.xml", f"{base}/ckan/api/3/action/package_search?rows=100&start=0&sort=name+asc"} <= refused
    assert reasons[f"{base}/away"] == "out_of_scope", "a page's redirect off the site stops at the scope check"
    # The link checker refused every hostile link, the redirect's second hop included, and says why.
    for url in [*canary.urls("/x"), METADATA_URL, f"{base}/away"]:
        assert not checks[url].ok and (checks[url].error or "").startswith("refused_address: "), checks[url]
    assert "metadata: 169.254.169.254" in (checks[METADATA_URL].error or "")
    assert checks[f"{base}/a.html"].ok
    # Anonymous callers see the class of each failure; the admin sees the detail.
    anonymous, admin = findings
    assert anonymous[METADATA_URL] == {"failure": "refused: metadata address", "off_site": True}
    assert anonymous[canary.urls("/x")[0]] == {"failure": "refused: loopback address", "off_site": True}
    assert admin[METADATA_URL]["error"].startswith("refused_address: metadata: 169.254.169.254")


async def _findings_over_graphql(settings: Settings, site_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Link-finding evidence by link, as an anonymous caller and as the admin sees it (minus page/anchor/time)."""
    query = "query($s: ID!) { inspection(site: $s) { findings(pageSize: 100) { items { rule evidence } } } }"
    async with serve_api(settings) as api_url:
        replies = [await gql(api_url, query, {"s": site_id}, token=None), await gql(api_url, query, {"s": site_id})]
    seen = []
    for out in replies:
        assert "errors" not in out, out
        items = out["data"]["inspection"]["findings"]["items"]
        evidence = [i["evidence"] for i in items if i["rule"] in ("broken_links", "homepage_broken_links")]
        drop = ("page", "pages", "page_count", "anchor", "checked_at", "kind", "link")
        seen.append({e["link"]: {k: v for k, v in e.items() if k not in drop} for e in evidence})
    return seen[0], seen[1]


async def test_robots_redirect_is_refused_and_an_operator_range_is_allowed(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, canary: Canary, spy: Spy
) -> None:
    """robots.txt redirected to 127.0.0.2 is refused; with `allow_private: [127.0.0.3/32]` the operator lets the
    site's checks reach that one address (an intranet site), and nothing else."""
    inward = f"http://127.0.0.3:{canary.port}/allowed"

    async def routes(request: web.Request) -> web.StreamResponse:
        if request.path == "/robots.txt" and request.host.startswith("127.0.0.1"):
            raise web.HTTPFound(f"http://127.0.0.2:{canary.port}/robots.txt")
        return html(f'<html><body><a href="{inward}">内网</a><a href="{canary.urls("/x")[0]}">外</a></body></html>')

    async with serve(lambda app: app.router.add_get("/{tail:.*}", routes)) as base:
        blocked, intranet = unique("robots"), unique("intranet")
        await add_site(pg_pool, site_record(blocked, base))
        run = await crawl(settings, pg_pool, bus, blocked)
        assert canary.heard == [] and run.result.fetched == 1
        reasons = {r["url"]: r["reason"] for r in await fetch_log(pg_pool, run.crawl_id)}
        assert reasons[f"{base}/"] == "refused_address", "robots.txt's redirect was refused: nothing is fetched"

        await add_site(pg_pool, site_record(intranet, base, allow_private=["127.0.0.3/32"]))
        policy = await fetch_policy(pg_pool, intranet)
        async with checking_fetcher(settings, pg_pool, policy=policy, timeout_s=5, robots=False) as fetcher:
            one = await fetcher.fetch(inward)
            other = await fetcher.fetch(canary.urls("/x")[0])
    assert one.status == 200 and canary.heard == [f"127.0.0.3:{canary.port}/allowed"]
    assert other.error == "refused_address" and (other.detail or "").startswith("loopback: 127.0.0.2")
    assert "169.254.169.254" not in spy.hosts()


async def test_a_frontier_url_out_of_scope_is_not_fetched(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, canary: Canary
) -> None:
    """The first URL of a page fetch is scope-checked: a frontier row left from a wider scope (or planted) is not
    fetched, and the guard would refuse its address anyway."""
    async with serve(lambda app: app.router.add_get("/{tail:.*}", _page)) as base:
        site_id = unique("stale")
        await add_site(pg_pool, site_record(site_id, base))
        planted = f"http://127.0.0.2:{canary.port}/planted"
        await pg_pool.execute("insert into crawl_urls (site_id, url) values ($1, $2)", site_id, planted)
        run = await crawl(settings, pg_pool, bus, site_id)
    reasons = {r["url"]: r["reason"] for r in await fetch_log(pg_pool, run.crawl_id)}
    assert reasons[f"{base}/"] is None and reasons[planted] == "out_of_scope" and canary.heard == []


async def _page(request: web.Request) -> web.Response:
    return html("<html><head><title>首页</title></head><body><p>正文。</p></body></html>")

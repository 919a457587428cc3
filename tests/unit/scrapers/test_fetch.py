"""The fetcher against a local site that misbehaves in every way government sites do."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from scrapers.fetch import Fetcher
from scrapers.politeness import LocalHostLimiter
from scrapers.robots import RobotsCache
from scrapers.urls import Scope

UA = "yiwang-crawler/0.1 (+https://github.com/yiwang)"
NOTICE = "关于做好2024年春节期间安全生产工作的通知"
GBK_PAGE = f"<html><head><title>{NOTICE}</title></head><body><p>{NOTICE}。各区县人民政府：</p></body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


class Site:
    """A government site with one route per kind of misbehaviour; it counts requests per path."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.seen_headers: list[dict[str, str]] = []

    def count(self, request: web.Request) -> int:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        self.seen_headers.append(dict(request.headers))
        return self.hits[request.path]

    def app(self) -> web.Application:
        app = web.Application()
        routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
            "/robots.txt": self.robots,
            "/gbk": self.gbk,
            "/cached": self.cached,
            "/loop/a": self.loop_a,
            "/loop/b": self.loop_b,
            "/chain/{n}": self.chain,
            "/away": self.away,
            "/huge": self.huge,
            "/huge-declared": self.huge_declared,
            "/drip": self.drip,
            "/sleepy": self.sleepy,
            "/flaky": self.flaky,
            "/busy": self.busy,
            "/busy-long": self.busy_long,
            "/missing": self.missing,
            "/png-as-html": self.png_as_html,
            "/noise-as-html": self.noise_as_html,
            "/report.pdf": self.pdf,
            "/private/a.html": self.gbk,
        }
        for path, handler in routes.items():
            app.router.add_route("*", path, handler)
        return app

    async def robots(self, request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n")

    async def gbk(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(body=GBK_PAGE.encode("gbk"), headers={"Content-Type": "text/html"})

    async def cached(self, request: web.Request) -> web.Response:
        self.count(request)
        headers = {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 08:00:00 GMT"}
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers=headers)
        return web.Response(text="<p>政务公开</p>", content_type="text/html", headers=headers)

    async def loop_a(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop/b")

    async def loop_b(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("./a#top")

    async def chain(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/chain/{int(request.match_info['n']) + 1}")

    async def away(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("http://127.0.0.2:9/elsewhere")

    async def huge(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await resp.prepare(request)
        chunk = b"<p>" + "政务".encode() * 20000 + b"</p>"
        try:
            for _ in range(10 * 1024 * 1024 // len(chunk) + 1):
                await resp.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def huge_declared(self, request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (10 * 1024 * 1024), content_type="text/html")

    async def drip(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        await resp.prepare(request)
        try:
            for _ in range(500):
                await resp.write(b"<")
                await asyncio.sleep(0.02)  # not a wait: a server that drips its answer
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def sleepy(self, request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)  # not a wait: a server slower than the fetch timeout
        return web.Response(text="late")

    async def flaky(self, request: web.Request) -> web.Response:
        if self.count(request) == 1:
            return web.Response(status=500, text="Internal Server Error")
        return web.Response(text="<p>recovered</p>", content_type="text/html")

    async def busy(self, request: web.Request) -> web.Response:
        if self.count(request) == 1:
            return web.Response(status=503, headers={"Retry-After": "1"})
        return web.Response(text="<p>ok</p>", content_type="text/html")

    async def busy_long(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(status=503, headers={"Retry-After": "3600"})

    async def missing(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(status=404, text="not found")

    async def png_as_html(self, request: web.Request) -> web.Response:
        return web.Response(body=PNG, headers={"Content-Type": "text/html"})

    async def noise_as_html(self, request: web.Request) -> web.Response:
        noise = bytes(b % 255 + 1 for b in os.urandom(20000))  # random bytes without a single NUL
        return web.Response(body=noise, headers={"Content-Type": "text/html"})

    async def pdf(self, request: web.Request) -> web.Response:
        self.count(request)
        return web.Response(body=b"%PDF-1.4\n" + b"0" * 5000, content_type="application/pdf")


@pytest.fixture
async def site() -> AsyncIterator[tuple[Site, str]]:
    s = Site()
    runner = web.AppRunner(s.app(), shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield s, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def fetcher(session: aiohttp.ClientSession, **limits: Any) -> Fetcher:
    options: dict[str, Any] = {"timeout_s": 2.0, "retries": 2, "backoff_base_s": 0.01, "max_body_bytes": 1024 * 1024}
    return Fetcher(session, user_agent=UA, **(options | limits))


async def test_gbk_page_without_header_charset(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    s, base = site
    result = await fetcher(session).fetch(f"{base}/gbk")
    assert result.ok and result.status == 200
    assert result.content_type == "text/html" and result.encoding == "gb18030"
    assert result.text is not None and NOTICE in result.text
    assert result.body == GBK_PAGE.encode("gbk")
    assert s.seen_headers[-1]["User-Agent"] == UA


async def test_conditional_get_returns_not_modified(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    f = fetcher(session)
    first = await f.fetch(f"{base}/cached")
    assert first.ok and first.etag == '"v1"' and first.last_modified == "Mon, 01 Jan 2024 08:00:00 GMT"
    again = await f.fetch(f"{base}/cached", etag=first.etag, last_modified=first.last_modified)
    assert again.ok and again.not_modified and again.status == 304
    assert again.body is None and again.text is None and again.etag == '"v1"'


async def test_redirect_loop(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    result = await fetcher(session).fetch(f"{base}/loop/a")
    assert result.error == "redirect_loop"
    assert result.redirects == [f"{base}/loop/b", f"{base}/loop/a#top"]
    assert result.final_url == f"{base}/loop/b"


async def test_too_many_redirects(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    result = await fetcher(session, max_redirects=3).fetch(f"{base}/chain/0")
    assert result.error == "too_many_redirects"
    assert result.redirects == [f"{base}/chain/{n}" for n in (1, 2, 3, 4)], "the last Location is listed"
    assert result.final_url == f"{base}/chain/3", "but not followed"


async def test_each_redirect_hop_is_checked_against_the_scope(
    site: tuple[Site, str], session: aiohttp.ClientSession
) -> None:
    _, base = site
    scope = Scope.for_site(base + "/")
    result = await fetcher(session, hop_check=lambda url: scope.allows(url)).fetch(f"{base}/away")
    assert result.error == "out_of_scope" and result.detail is not None and "off_host" in result.detail
    assert result.redirects == ["http://127.0.0.2:9/elsewhere"] and result.final_url == f"{base}/away"


async def test_a_10_mb_page_is_cut_off(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    f = fetcher(session)
    streamed = await f.fetch(f"{base}/huge")
    assert streamed.error == "too_large" and streamed.body is None
    declared = await f.fetch(f"{base}/huge-declared")
    assert declared.error == "too_large" and declared.detail == f"Content-Length {10 * 1024 * 1024}"


async def test_slow_drip_is_abandoned(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    f = fetcher(session, timeout_s=30.0, min_rate_bps=1000.0, min_rate_grace_s=0.3)
    result = await f.fetch(f"{base}/drip")
    assert result.error == "too_slow"
    assert result.elapsed_ms < 2000


async def test_timeout(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    started = time.monotonic()
    result = await fetcher(session, timeout_s=0.3).fetch(f"{base}/sleepy")
    assert result.error == "timeout" and result.attempts == 1
    assert time.monotonic() - started < 1.5


async def test_500_then_200_is_retried(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    s, base = site
    result = await fetcher(session).fetch(f"{base}/flaky")
    assert result.ok and result.status == 200 and result.text == "<p>recovered</p>"
    assert result.attempts == 2 and s.hits["/flaky"] == 2


async def test_503_retry_after_is_respected(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    started = time.monotonic()
    result = await fetcher(session).fetch(f"{base}/busy")
    assert result.ok and result.attempts == 2
    assert time.monotonic() - started >= 0.95


async def test_retry_after_beyond_the_cap_is_not_waited_for(
    site: tuple[Site, str], session: aiohttp.ClientSession
) -> None:
    s, base = site
    result = await fetcher(session, retry_after_cap_s=5.0).fetch(f"{base}/busy-long")
    assert result.error == "bad_status" and result.status == 503
    assert result.retry_after_s == 3600 and s.hits["/busy-long"] == 1


async def test_client_errors_are_not_retried(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    s, base = site
    result = await fetcher(session).fetch(f"{base}/missing")
    assert result.error == "bad_status" and result.status == 404 and result.detail == "HTTP 404"
    assert s.hits["/missing"] == 1


async def test_connection_refused_is_retried_then_reported(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await fetcher(session, retries=2).fetch(f"http://127.0.0.1:{port}/")
    assert result.error == "connect_error" and result.attempts == 3 and result.status is None


async def test_robots_disallow_and_crawl_delay(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    s, base = site
    limiter = LocalHostLimiter(concurrency=4)
    f = fetcher(session, robots=RobotsCache(session, user_agent=UA), limiter=limiter)
    refused = await f.fetch(f"{base}/private/a.html")
    assert refused.error == "robots_disallow" and refused.status is None
    assert "/private/a.html" not in s.hits
    started = time.monotonic()
    results = await asyncio.gather(*(f.fetch(f"{base}/gbk") for _ in range(3)))
    assert all(r.ok for r in results)
    assert time.monotonic() - started >= 0.55, "three requests 0.3 s apart take at least 0.6 s"


async def test_binary_served_as_html(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    f = fetcher(session)
    png = await f.fetch(f"{base}/png-as-html")
    assert png.error == "binary_body" and png.text is None
    noise = await f.fetch(f"{base}/noise-as-html")
    assert noise.error == "binary_body"


async def test_attachments_are_only_looked_at_with_head(site: tuple[Site, str], session: aiohttp.ClientSession) -> None:
    _, base = site
    f = fetcher(session)
    got = await f.fetch(f"{base}/report.pdf")
    assert got.error == "unsupported_content_type" and got.content_type == "application/pdf" and got.body is None
    head = await f.head(f"{base}/report.pdf")
    assert head.ok and head.status == 200 and head.content_type == "application/pdf"
    assert head.headers["content-length"] == "5009" and head.body is None


@pytest.mark.parametrize("link", ["javascript:void(0)", "mailto:zwgk@jinan.gov.cn", "tel:12345"])
async def test_links_that_are_not_pages_are_not_fetched(session: aiohttp.ClientSession, link: str) -> None:
    result = await fetcher(session).fetch(link)
    assert result.error == "invalid_url" and result.attempts == 0

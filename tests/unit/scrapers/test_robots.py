"""robots.txt rules, Crawl-delay and status handling against a local site that serves robots.txt."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from scrapers.robots import RobotsCache, parse_robots

UA = "yiwang-crawler/0.1 (+https://github.com/yiwang)"
ROBOTS = """\ufeff# 济南市人民政府门户网站
User-agent: *
Disallow: /private/
Crawl-delay: 5

User-agent: Yiwang-Crawler
Disallow: /secret/
Allow: /
Crawl-delay: 0.5
"""

Serve = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    runners: list[web.AppRunner] = []

    async def start(app: web.Application) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


class RobotsSite:
    """A site whose robots.txt answer the test changes; it counts the requests it gets."""

    def __init__(self, status: int = 200, text: str = ROBOTS, moved: bool = False) -> None:
        self.status, self.text, self.moved, self.hits = status, text, moved, 0

    def app(self) -> web.Application:
        async def robots(request: web.Request) -> web.Response:
            if self.moved and request.path == "/robots.txt":
                raise web.HTTPMovedPermanently("/cms/robots.txt")
            self.hits += 1
            await asyncio.sleep(0.01)  # not a wait: a slow answer, so concurrent checks overlap it
            return web.Response(status=self.status, text=self.text if self.status == 200 else "error")

        app = web.Application()
        app.router.add_get("/robots.txt", robots)
        app.router.add_get("/cms/robots.txt", robots)
        return app


async def test_our_group_decides_and_its_decimal_crawl_delay_is_read(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(RobotsSite().app())
    robots = RobotsCache(session, user_agent=UA)
    assert await robots.check(f"{base}/secret/plan.html") == "robots_disallow"
    assert await robots.check(f"{base}/private/a.html") is None, "the * group does not apply to us"
    assert await robots.check(f"{base}/zwgk/index.html") is None
    assert await robots.crawl_delay(f"{base}/") == 0.5
    others = RobotsCache(session, user_agent="OtherBot/2.0")
    assert await others.check(f"{base}/private/a.html") == "robots_disallow"
    assert await others.crawl_delay(f"{base}/") == 5.0


async def test_a_redirected_robots_txt_is_followed(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve(RobotsSite(moved=True).app())
    robots = RobotsCache(session, user_agent=UA)
    assert await robots.check(f"{base}/secret/plan.html") == "robots_disallow"


async def test_robots_is_fetched_once_per_host(serve: Serve, session: aiohttp.ClientSession) -> None:
    site = RobotsSite()
    base = await serve(site.app())
    robots = RobotsCache(session, user_agent=UA)
    verdicts = await asyncio.gather(*(robots.check(f"{base}/page{i}.html") for i in range(20)))
    assert verdicts == [None] * 20
    assert site.hits == 1


async def test_missing_robots_allows_everything(serve: Serve, session: aiohttp.ClientSession) -> None:
    base = await serve(RobotsSite(status=404).app())
    robots = RobotsCache(session, user_agent=UA)
    assert await robots.check(f"{base}/secret/plan.html") is None
    assert await robots.crawl_delay(f"{base}/") is None


async def test_server_error_disallows_until_the_error_ttl_passes(serve: Serve, session: aiohttp.ClientSession) -> None:
    site = RobotsSite(status=503)
    base = await serve(site.app())
    robots = RobotsCache(session, user_agent=UA, error_ttl_s=0.2)
    assert await robots.check(f"{base}/zwgk/index.html") == "robots_unavailable"
    site.status = 200
    assert await robots.check(f"{base}/zwgk/index.html") == "robots_unavailable", "still within error_ttl_s"
    await asyncio.sleep(0.25)  # not a wait: error_ttl_s passing is what is tested
    assert await robots.check(f"{base}/zwgk/index.html") is None
    assert await robots.check(f"{base}/secret/x.html") == "robots_disallow"


async def test_a_good_copy_survives_a_later_outage(serve: Serve, session: aiohttp.ClientSession) -> None:
    site = RobotsSite()
    base = await serve(site.app())
    robots = RobotsCache(session, user_agent=UA, ttl_s=0.1, error_ttl_s=0.1)
    assert await robots.check(f"{base}/secret/x.html") == "robots_disallow"
    site.status = 500
    await asyncio.sleep(0.15)  # not a wait: ttl_s passing is what is tested
    assert await robots.check(f"{base}/zwgk/index.html") is None
    assert await robots.check(f"{base}/secret/x.html") == "robots_disallow"
    assert site.hits == 2


async def test_unreachable_host_is_unavailable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    robots = RobotsCache(session, user_agent=UA, timeout_s=1.0)
    assert await robots.check(f"http://127.0.0.1:{port}/index.html") == "robots_unavailable"


def test_parse_rules_without_a_server() -> None:
    rules = parse_robots("User-agent: *\nDisallow: /search\nRequest-rate: 1/4\n", "yiwang-crawler")
    assert rules.parser.can_fetch(UA, "http://www.gov.cn/search?q=x") is False
    assert rules.parser.can_fetch(UA, "http://www.gov.cn/zwgk/") is True
    assert rules.crawl_delay_s == 4.0
    assert parse_robots("User-agent: *\nCrawl-delay: soon\n", "yiwang-crawler").crawl_delay_s is None

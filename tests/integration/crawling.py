"""Helpers for crawl tests: sites from records, one crawl run like a worker runs it, the indexer applied."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from aiohttp import web

from core.bus import Bus, PageFetched
from core.bus.events import Event
from core.crawls import queue_crawl, run_crawl
from core.settings import Settings
from core.sites import get_site, parse_sites, sync_sites
from core.sites.service import Site
from scrapers.connectors import FeedConnector
from scrapers.crawl import Crawler, CrawlResult
from workers.indexer import Indexer


class RecordingBus:
    """The real bus, remembering each page event this crawl published."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.pages: list[PageFetched] = []

    async def publish(self, event: Event) -> None:
        if isinstance(event, PageFetched):
            self.pages.append(event)
        await self.bus.publish(event)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


async def add_site(pool: asyncpg.Pool, record: dict[str, Any]) -> Site:
    """Store one sites.yaml record (validated like the file) and read it back as the crawler sees it."""
    import yaml

    config = parse_sites(yaml.safe_dump({"sites": [record]}, allow_unicode=True))
    await sync_sites(pool, config)
    return await get_site(pool, record["id"])


def site_record(site_id: str, base: str, **extra: Any) -> dict[str, Any]:
    return {"id": site_id, "name": f"测试站点 {site_id}", "level": "市", "start_urls": [f"{base}/"], **extra}


@dataclasses.dataclass
class Run:
    """One finished crawl: its id, counters and the page events it published."""

    crawl_id: int
    result: CrawlResult
    events: list[PageFetched]


async def crawl(
    settings: Settings,
    pool: asyncpg.Pool,
    bus: Bus,
    site_id: str,
    *,
    connectors: tuple[FeedConnector, ...] = (),
    index: bool = True,
) -> Run:
    """Queue a crawl and run it as a worker does (core.crawls.run_crawl); then apply its events with the indexer."""
    crawl_id = await queue_crawl(pool, site_id, "test")
    assert crawl_id is not None
    recording = RecordingBus(bus)
    crawler = Crawler(settings, pool, recording, connectors=connectors)  # type: ignore[arg-type]
    result = await run_crawl(pool=pool, crawl_id=crawl_id, site_id=site_id, crawl=crawler.crawl)
    assert isinstance(result, CrawlResult)
    if index and recording.pages:
        await Indexer(pool, bus).handle(recording.pages)
    return Run(crawl_id, result, recording.pages)


async def fetch_log(pool: asyncpg.Pool, crawl_id: int) -> list[asyncpg.Record]:
    return await pool.fetch("select url, status, reason from fetch_log where crawl_id = $1 order by id", crawl_id)


async def later(pool: asyncpg.Pool, site_id: str, seconds: int) -> None:
    """Pretend `seconds` have passed for the site's frontier."""
    await pool.execute(
        "update crawl_urls set next_check_at = next_check_at - make_interval(secs => $2) where site_id = $1",
        site_id,
        seconds,
    )


@asynccontextmanager
async def serve(routes: Callable[[web.Application], None] | web.Application) -> AsyncIterator[str]:
    """An aiohttp app on a free loopback port; yields its base URL."""
    app = routes if isinstance(routes, web.Application) else web.Application()
    if not isinstance(routes, web.Application):
        routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def html(
    body: str, *, charset: str = "utf-8", status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=body.encode(charset),
        status=status,
        headers={"Content-Type": f"text/html; charset={charset}", **(headers or {})},
    )

"""The crawl job: one crawl of a site by the scrapers' Crawler, started and finished through core.crawls."""

from __future__ import annotations

from core.crawls import run_crawl
from core.settings import Settings
from scrapers.crawl import Crawler
from workers.runtime import opened


async def crawl_site(settings: Settings, site_id: str, crawl_id: int) -> None:
    """Crawl one site for the crawl row `crawl_id` (a repeated job finds the crawl finished and stops)."""
    async with opened(settings, f"crawl-{site_id}") as rt:
        crawler = Crawler(settings, rt.pool, rt.bus)
        await run_crawl(pool=rt.pool, crawl_id=crawl_id, site_id=site_id, crawl=crawler.crawl)

"""A full crawl asked while a crawl records its outcomes: both write many rows of the site's frontier, and before
they took one lock per site they deadlocked (the editor's crawlSite answered INTERNAL, the crawl failed)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from core.crawls import queue_crawl
from scrapers import frontier
from tests.integration.crawling import add_site, unique

pytestmark = pytest.mark.integration
PAGES = 2000


async def test_full_crawl_requests_and_a_crawls_records_never_deadlock(pg_pool: asyncpg.Pool) -> None:
    site_id = unique("locks")
    await add_site(
        pg_pool, {"id": site_id, "name": "锁", "level": "部门", "start_urls": [f"https://{site_id}.gov.cn/"]}
    )
    crawl_id = await queue_crawl(pg_pool, site_id, "test")
    assert crawl_id is not None
    urls = [f"https://{site_id}.gov.cn/art/{i:05d}.html" for i in range(PAGES)]
    assert await frontier.discover(pg_pool, site_id, crawl_id, [(u, 1) for u in urls]) == PAGES
    # The crawl records in its fetch order, which is not the table's; the request marks every row in table order.
    outcomes = [frontier.Outcome(url=u, state="done", status=200, recheck_s=86400) for u in reversed(urls)]

    async def full_crawl_asked() -> None:
        for _ in range(10):
            assert await queue_crawl(pg_pool, site_id, "manual-full", full=True) is None  # one is in flight

    async def crawl_records() -> None:
        for _ in range(10):
            await frontier.record(pg_pool, site_id, outcomes)

    await asyncio.gather(full_crawl_asked(), crawl_records(), full_crawl_asked(), crawl_records())
    done = await pg_pool.fetchval("select count(*) from crawl_urls where site_id = $1 and state = 'done'", site_id)
    assert done == PAGES

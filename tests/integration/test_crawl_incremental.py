"""Crawling the demo site group twice and more: recheck rules, conditional GETs, gone pages, resume after a kill."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import web

from core.bus import Bus
from core.crawls import finish_crawl, queue_crawl, start_crawl
from core.documents import get_document
from core.settings import Settings
from core.sites import get_site
from ops.demo.server import DemoSiteGroup
from scrapers.crawl import Crawler
from tests.integration.crawling import add_site, crawl, fetch_log, html, later, serve, site_record, unique
from tests.polling import eventually

pytestmark = pytest.mark.integration
EXTRAS = ("/sitemap.xml", "/rss.xml", "/robots.txt")


@pytest.fixture(scope="module")
async def group(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DemoSiteGroup]:
    demo = DemoSiteGroup(tmp_path_factory.mktemp("demo"))
    await demo.start()
    yield demo
    await demo.stop()


async def portal(pool: asyncpg.Pool, group: DemoSiteGroup, **extra: object) -> tuple[str, int]:
    """A fresh site id for the demo portal (so tests do not share a frontier), and its HTML page count."""
    record = next(r for r in group.sites() if r["id"] == "demo-portal")
    site_id = unique("portal")
    await add_site(pool, {**record, "id": site_id, **extra})
    return site_id, len(group.contents["demo-portal"].html_paths())


def pages_of(rows: list[asyncpg.Record]) -> set[str]:
    return {r["url"] for r in rows if not r["url"].endswith(EXTRAS)}


async def test_second_crawl_rechecks_lists_on_schedule_with_304s_and_articles_rarely(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, group: DemoSiteGroup
) -> None:
    site_id, html_pages = await portal(pg_pool, group)
    first = await crawl(settings, pg_pool, bus, site_id)
    assert first.result.errors == 0, first.result.summary()
    assert first.result.changed == len(first.events) >= html_pages
    assert first.result.sitemap_urls >= html_pages, "the portal's robots.txt names its sitemap"
    kinds = dict(await pg_pool.fetch("select kind, count(*) from crawl_urls where site_id = $1 group by kind", site_id))
    assert kinds.get("column", 0) > 5 and kinds.get("homepage") == 1
    # The demo links a few pages that do not exist: one 404 is rechecked on the list schedule, not yet gone.
    missing = await pg_pool.fetchval("select count(*) from crawl_urls where site_id = $1 and not_found = 1", site_id)

    # Right after a crawl nothing is due.
    assert (await crawl(settings, pg_pool, bus, site_id)).result.fetched == 0

    # Past the site's schedule (10m) but long before articles are due: homepage and columns only, all 304.
    await later(pg_pool, site_id, 11 * 60)
    second = await crawl(settings, pg_pool, bus, site_id)
    log = await fetch_log(pg_pool, second.crawl_id)
    rechecked = [r for r in log if not r["url"].endswith(EXTRAS)]
    assert len(rechecked) == second.result.fetched == kinds["column"] + kinds["homepage"] + missing
    assert [r["status"] for r in rechecked].count(304) == kinds["column"] + kinds["homepage"]
    assert second.result.changed == 0 and all(e.gone for e in second.events), "304s make no events"
    assert second.result.gone == missing, "the second 404 marks a missing page gone"

    # A month later articles are rechecked too; only the article that changed makes an event.
    changed_url = group.change_page("demo-portal", next(iter(group._articles["demo-portal"])))
    await later(pg_pool, site_id, 31 * 86400)
    third = await crawl(settings, pg_pool, bus, site_id)
    assert [e.url for e in third.events if not e.gone] == [changed_url], [(e.url, e.gone) for e in third.events]
    statuses = [r["status"] for r in await fetch_log(pg_pool, third.crawl_id) if not r["url"].endswith(EXTRAS)]
    assert statuses.count(200) == 1 and statuses.count(304) == len(statuses) - 1 - statuses.count(404)
    assert (await get_document(pg_pool, url=changed_url)).version == 2


async def test_page_answering_404_twice_is_marked_gone(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> None:
    alive = {"/a.html": True}

    async def home(_: web.Request) -> web.Response:
        return html('<html><head><title>首页</title></head><body><a href="/a.html">通知</a></body></html>')

    async def page(_: web.Request) -> web.Response:
        if alive["/a.html"]:
            return html("<html><head><title>关于开展检查的通知</title></head><body><h1>关于开展检查的通知</h1>"
                        "<p>各单位：现将有关事项通知如下。</p></body></html>")  # fmt: skip
        return html("<h1>404</h1>", status=404)

    def routes(app: web.Application) -> None:
        app.router.add_get("/", home)
        app.router.add_get("/a.html", page)

    async with serve(routes) as base:
        site_id = unique("gone")
        await add_site(pg_pool, site_record(site_id, base))
        await crawl(settings, pg_pool, bus, site_id)
        url = f"{base}/a.html"
        assert not (await get_document(pg_pool, url=url)).gone
        alive["/a.html"] = False
        await later(pg_pool, site_id, 31 * 86400)
        once = await crawl(settings, pg_pool, bus, site_id)
        assert once.result.gone == 0 and not (await get_document(pg_pool, url=url)).gone, "one 404 is not enough"
        await later(pg_pool, site_id, 31 * 86400)
        twice = await crawl(settings, pg_pool, bus, site_id)
        assert twice.result.gone == 1 and [e.gone for e in twice.events] == [True]
        assert (await get_document(pg_pool, url=url)).gone
        state = await pg_pool.fetchval("select state from crawl_urls where site_id = $1 and url = $2", site_id, url)
        assert state == "gone"


async def test_killed_crawl_resumes_with_only_what_was_left(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, group: DemoSiteGroup
) -> None:
    site_id, html_pages = await portal(pg_pool, group, delay=0.02)  # slow enough to be stopped halfway
    crawl_id = await queue_crawl(pg_pool, site_id, "test")
    assert crawl_id is not None
    await start_crawl(pg_pool, crawl_id)
    task = asyncio.create_task(Crawler(settings, pg_pool, bus).crawl(await get_site(pg_pool, site_id), crawl_id))
    fetched = "select pages_fetched from crawls where id = $1"
    await eventually(lambda: pg_pool.fetchval(fetched, crawl_id), lambda n: n >= html_pages // 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await finish_crawl(pg_pool, crawl_id, ok=False, message="killed")
    done_before = {r["url"] for r in await pg_pool.fetch(
        "select url from crawl_urls where site_id = $1 and state = 'done'", site_id)}  # fmt: skip
    assert html_pages // 3 <= len(done_before) < html_pages

    resumed = await crawl(settings, pg_pool, bus, site_id)
    fetched_now = pages_of(await fetch_log(pg_pool, resumed.crawl_id))
    assert fetched_now.isdisjoint(done_before), "pages done before the kill are not fetched again"
    known = pages_of(await pg_pool.fetch("select url from crawl_urls where site_id = $1", site_id))
    assert fetched_now | pages_of([{"url": u} for u in done_before]) == known  # type: ignore[misc]
    assert len(known) >= html_pages
    assert resumed.result.errors == 0

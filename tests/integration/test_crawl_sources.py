"""Politeness across processes, robots Crawl-delay, sitemaps and feeds (new media); CKAN portals land in the
open-data catalogue (tests/integration/test_opendata_harvest_crawl.py)."""

from __future__ import annotations

import asyncio
import itertools
import time

import asyncpg
import pytest
from aiohttp import web

from core.bus import Bus
from core.documents import get_document, list_documents
from core.settings import Settings
from scrapers.connectors import Account, FeedConnector
from scrapers.extract.feeds import FeedItem
from scrapers.politeness import PgHostLimiter
from tests.integration.crawling import add_site, crawl, fetch_log, html, serve, site_record, unique

pytestmark = pytest.mark.integration


def page(title: str, *links: str) -> str:
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    body = f"<h1>{title}</h1><p>{title}的正文内容。</p><ul>{anchors}</ul>"
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


async def test_host_delay_holds_across_processes(database_url: str) -> None:
    pools = [await asyncpg.create_pool(database_url, min_size=1, max_size=2) for _ in range(2)]
    host, starts = unique("host") + ".gov.cn", []
    try:
        limiters = [PgHostLimiter(p, concurrency=4, delay_s=0.2) for p in pools]

        async def one(limiter: PgHostLimiter) -> None:
            async with limiter.slot(host):
                starts.append(time.monotonic())

        await asyncio.gather(*(one(limiters[i % 2]) for i in range(6)))
    finally:
        for p in pools:
            await p.close()
    gaps = [b - a for a, b in itertools.pairwise(sorted(starts))]
    assert min(gaps) >= 0.15, gaps  # 0.2 s granted by the database; a loaded event loop may wake a little late


async def test_robots_crawl_delay_is_honoured_and_sitemap_seeds_orphans(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    seen: list[tuple[str, float]] = []

    async def any_page(request: web.Request) -> web.StreamResponse:
        seen.append((request.path, time.monotonic()))
        if request.path == "/robots.txt":
            return web.Response(text="User-agent: *\nCrawl-delay: 0.3\nDisallow: /private/\n")
        if request.path == "/sitemap.xml":
            base = f"http://{request.host}"
            urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in ("/", "/orphan.html", "/private/x.html"))
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return web.Response(text=body, content_type="application/xml")
        if request.path == "/":
            return html(page("首页", "/a.html", "/b.html"))
        return html(page(f"页面{request.path}"))

    async with serve(lambda app: app.router.add_get("/{tail:.*}", any_page)) as base:
        site_id = unique("polite")
        await add_site(pg_pool, site_record(site_id, base))
        run = await crawl(settings, pg_pool, bus, site_id)
    fetched = [(p, t) for p, t in seen if p != "/robots.txt"]
    assert {p for p, _ in fetched} == {"/sitemap.xml", "/", "/a.html", "/b.html", "/orphan.html"}
    times = sorted(t for _, t in fetched)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.27, "Crawl-delay: 0.3 is kept"
    assert run.result.sitemap_urls == 3, "in scope; robots.txt refuses one of them at fetch time"
    reasons = {r["url"].removeprefix(base): r["reason"] for r in await fetch_log(pg_pool, run.crawl_id)}
    assert reasons["/private/x.html"] == "robots_disallow"


MIRROR_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>示范市发布</title><id>urn:wx:sfsfb</id>
<entry><title>示范市召开防汛工作会议</title><link href="{base}/s/1"/><id>urn:1</id>
<published>2024-06-01T08:00:00+08:00</published><summary>会议部署了今年汛期的各项工作。</summary></entry>
<entry><title>夏季高温天气提示</title><link href="{base}/s/2"/><id>urn:2</id>
<updated>2024-06-02T09:30:00Z</updated><summary type="html">&lt;p&gt;请市民注意防暑降温。&lt;/p&gt;</summary></entry>
</feed>"""


class WeiboApiConnector(FeedConnector):
    """A platform connector as a deployment would add one: reads a (mirrored) Weibo timeline API."""

    def __init__(self, posts: list[dict[str, str]]) -> None:
        self.posts = posts

    def accepts(self, source: str) -> bool:
        return "/api/weibo/" in source

    async def read(self, source: str) -> Account:
        items = [FeedItem(url=p["url"], title=p["text"][:30], summary=p["text"]) for p in self.posts]
        return Account(source, "示范市政府微博", items=items)


async def test_feeds_become_newmedia_documents_and_site_items_are_crawled(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    async def mirror_routes(request: web.Request) -> web.StreamResponse:
        base = f"http://{request.host}"
        if request.path == "/wechat.atom":
            return web.Response(text=MIRROR_ATOM.format(base=base), content_type="application/atom+xml")
        if request.path == "/weibo.json":
            item = {"id": "9", "url": f"{base}/w/9", "title": "办事指南更新", "content_text": "社保卡申领流程已更新。",
                    "date_published": "2024-06-03T10:00:00+08:00"}  # fmt: skip
            feed = {"version": "https://jsonfeed.org/version/1.1", "title": "示范市政务服务", "items": [item]}
            return web.json_response(feed, content_type="application/feed+json")
        return web.Response(status=404)

    async def site_routes(request: web.Request) -> web.StreamResponse:
        if request.path == "/rss.xml":
            base = f"http://{request.host}"
            rss = (f"<rss version='2.0'><channel><title>站点动态</title><item><title>新通知</title>"
                   f"<link>{base}/news/new.html</link><pubDate>Mon, 03 Jun 2024 02:00:00 GMT</pubDate></item>"
                   "</channel></rss>")  # fmt: skip
            return web.Response(text=rss, content_type="application/rss+xml")
        if request.path == "/":
            return html(page("首页"))
        if request.path == "/news/new.html":
            return html(page("新通知"))
        return web.Response(status=404)

    async with (
        serve(lambda app: app.router.add_get("/{tail:.*}", mirror_routes)) as mirror,
        serve(lambda app: app.router.add_get("/{tail:.*}", site_routes)) as base,
    ):
        site_id = unique("feeds")
        feeds = [f"{mirror}/wechat.atom", f"{mirror}/weibo.json", f"{mirror}/api/weibo/123", f"{base}/rss.xml"]
        await add_site(pg_pool, site_record(site_id, base, feeds=feeds))
        weibo = WeiboApiConnector([{"url": f"{mirror}/wb/77", "text": "今日全市空气质量优良"}])
        run = await crawl(settings, pg_pool, bus, site_id, connectors=(weibo,))
        again = await crawl(settings, pg_pool, bus, site_id, connectors=(weibo,))

    docs, total = await list_documents(pg_pool, site_id=site_id, kind="newmedia")
    assert total == 4
    by_url = {d.url.removeprefix(mirror): d for d in docs}
    assert by_url["/s/1"].title == "示范市召开防汛工作会议" and by_url["/s/1"].column == "示范市发布"
    assert by_url["/s/1"].text == "会议部署了今年汛期的各项工作。" and str(by_url["/s/1"].published_at) == "2024-06-01"
    assert by_url["/s/2"].text == "请市民注意防暑降温。"
    assert by_url["/w/9"].column == "示范市政务服务" and by_url["/wb/77"].column == "示范市政府微博"
    assert by_url["/s/1"].metadata["account"] == "示范市发布"
    # The site's own feed item is not linked from any page: the feed brings it in, crawled as a page.
    item = await get_document(pg_pool, url=f"{base}/news/new.html")
    assert item.title == "新通知" and item.kind != "newmedia"
    assert run.result.feed_items == 5
    assert again.result.feed_items == 5 and again.result.changed == 0, "feeds are read each crawl; unchanged items wait"


async def test_an_unchanged_feed_costs_a_304_and_a_failed_read_keeps_what_it_answered(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    feed = {"etag": '"v1"', "items": ["防汛工作会议召开"], "status": 200}
    asked: list[str | None] = []  # the If-None-Match of every request for the feed

    async def mirror_routes(request: web.Request) -> web.StreamResponse:
        if request.path != "/feed.xml":
            return web.Response(status=404)
        asked.append(request.headers.get("If-None-Match"))
        if feed["status"] != 200:
            return web.Response(status=feed["status"])  # type: ignore[arg-type]
        if request.headers.get("If-None-Match") == feed["etag"]:
            return web.Response(status=304, headers={"ETag": str(feed["etag"])})
        base = f"http://{request.host}"
        items = "".join(
            f"<item><title>{t}</title><link>{base}/n/{i}</link><description>{t}的详细内容。</description></item>"
            for i, t in enumerate(feed["items"])  # type: ignore[arg-type]
        )
        rss = f"<rss version='2.0'><channel><title>示范市发布</title>{items}</channel></rss>"
        return web.Response(text=rss, content_type="application/rss+xml", headers={"ETag": str(feed["etag"])})

    async def site_routes(request: web.Request) -> web.StreamResponse:
        return html(page("首页")) if request.path == "/" else web.Response(status=404)

    async with (
        serve(lambda app: app.router.add_get("/{tail:.*}", mirror_routes)) as mirror,
        serve(lambda app: app.router.add_get("/{tail:.*}", site_routes)) as base,
    ):
        site_id = unique("feed304")
        await add_site(pg_pool, site_record(site_id, base, feeds=[f"{mirror}/feed.xml"]))
        first = await crawl(settings, pg_pool, bus, site_id)
        unchanged = await crawl(settings, pg_pool, bus, site_id)
        feed["status"] = 404
        failed = await crawl(settings, pg_pool, bus, site_id)
        feed.update(status=200, etag='"v2"', items=["防汛工作会议召开", "高温天气提示"])
        changed = await crawl(settings, pg_pool, bus, site_id)

    assert asked == [None, '"v1"', '"v1"', '"v1"'], "asked with the last ETag, also after a failed read"
    assert (first.result.feed_items, first.result.changed) == (1, 2), "the item and the home page"
    assert (unchanged.result.feeds_unchanged, unchanged.result.feed_items, unchanged.result.errors) == (1, 0, 0)
    assert failed.result.errors == 1 and failed.result.feeds_unchanged == 0
    assert (changed.result.feed_items, changed.result.changed) == (2, 1), "the new item, once"
    docs, total = await list_documents(pg_pool, site_id=site_id, kind="newmedia")
    assert total == 2 and {d.title for d in docs} == {"防汛工作会议召开", "高温天气提示"}
    row = await pg_pool.fetchrow("select etag from feed_validators where site_id = $1", site_id)
    assert row is not None and row["etag"] == '"v2"'

"""The demo group crawled by the real crawler: one document per page (a directory and its index.html are one),
and attachments are the files articles carry, never the footer's RSS link."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import urlsplit

import asyncpg
import pytest

from core.bus import Bus, PageFetched
from core.settings import Settings
from ops.demo.server import DemoSiteGroup
from scrapers.urls import INDEX_NAMES
from tests.integration.crawling import add_site, crawl, unique
from workers.indexer import Indexer

pytestmark = pytest.mark.integration

DEMO_NOW = datetime(2024, 6, 30, 12, 0)


@pytest.fixture(scope="module")
async def portal(
    tmp_path_factory: pytest.TempPathFactory, settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> AsyncIterator[tuple[DemoSiteGroup, str]]:
    group = DemoSiteGroup(tmp_path_factory.mktemp("demo-docs"), now=DEMO_NOW)
    await group.start()
    try:
        record = next(s for s in group.sites() if s["id"] == "demo-portal")
        site = unique("docs-portal")
        await add_site(pg_pool, {**record, "id": site})
        await crawl(settings, pg_pool, bus, site)
        yield group, site
    finally:
        await group.stop()


async def _documents(pool: asyncpg.Pool, site: str) -> list[asyncpg.Record]:
    return await pool.fetch("select url, kind, attachments from documents where site_id = $1 and not gone", site)


async def test_a_directory_and_its_index_page_are_one_document(
    portal: tuple[DemoSiteGroup, str], pg_pool: asyncpg.Pool
) -> None:
    group, site = portal
    base = group.base("demo-portal")
    urls = {r["url"] for r in await _documents(pg_pool, site)}
    assert {f"{base}/", f"{base}/zcjd/", f"{base}/ywdt/", f"{base}/ywdt/index_1.html"} <= urls
    named = [u for u in urls if urlsplit(u).path.rsplit("/", 1)[-1].lower() in INDEX_NAMES]
    assert not named, named
    # every HTML page of the site is there exactly once
    assert len(urls) == len(group.contents["demo-portal"].html_paths())


async def test_attachments_are_files_not_feeds(portal: tuple[DemoSiteGroup, str], pg_pool: asyncpg.Pool) -> None:
    group, site = portal
    base = group.base("demo-portal")
    docs = await _documents(pg_pool, site)
    carried: dict[str, set[str]] = {}
    for r in docs:
        raw = r["attachments"]
        files = json.loads(raw) if isinstance(raw, str) else raw
        assert not [f for f in files if "rss" in f["url"] or f["type"] in ("xml", "json")], r["url"]
        if files:
            carried[r["url"]] = {f["url"] for f in files}
    expected = {
        base + a.path: {base + f.path for f in a.attachments}
        for a in group.contents["demo-portal"].articles()
        if a.attachments
    }
    assert carried == expected and expected


async def test_an_index_url_stored_before_is_retired_for_its_directory(
    portal: tuple[DemoSiteGroup, str], settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    group, site = portal
    base = group.base("demo-portal")
    old = base + "/zcjd/index.html"
    # as an earlier version stored it: a document of its own and a frontier row that is due
    before = PageFetched(
        site_id=site,
        url=old,
        status=200,
        content_hash="stored-by-an-earlier-version",
        fetched_at="2024-06-01T00:00:00+00:00",
        kind="column",
        title="政策解读",
    )
    await Indexer(pg_pool, bus).handle([before])
    assert old in {r["url"] for r in await _documents(pg_pool, site)}
    await pg_pool.execute(
        "insert into crawl_urls (site_id, url, depth, content_hash) values ($1, $2, 1, 'old')", site, old
    )
    run = await crawl(settings, pg_pool, bus, site)
    assert [e.gone for e in run.events if e.url == old] == [True]
    urls = {r["url"] for r in await _documents(pg_pool, site)}
    assert old not in urls and base + "/zcjd/" in urls
    state = await pg_pool.fetchval("select state from crawl_urls where site_id = $1 and url = $2", site, old)
    assert state == "gone"

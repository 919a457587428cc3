"""Imported pages (a disclosure register, letters) have a lane of their own in the crawl stream: a
crawled change published behind a large import is stored at once, not after the import (real NATS, Postgres)."""

from __future__ import annotations

import asyncpg
import pytest

from core.bus import Bus, PageFetched, PageImported
from core.bus.progress import wait_until_applied
from tests.integration.search_fixtures import make_site, running
from tests.polling import eventually
from workers.indexer import ImportIndexer, Indexer

pytestmark = [pytest.mark.integration]
IMPORTED = 300


def imported(site: str, i: int) -> PageImported:
    return PageImported(
        site_id=site,
        url=f"http://{site}.example/disclosure/{i}",
        status=200,
        content_hash=f"h{i}",
        fetched_at="2026-12-06T08:00:00+08:00",
        kind="disclosure",
        title=f"村务公开第{i}期",
        text="收支明细",
        source="disclosure",
    )


def crawled(site: str, path: str, title: str, text: str = "") -> PageFetched:
    return PageFetched(
        site_id=site,
        url=f"http://{site}.example/{path}",
        status=200,
        content_hash=path,
        fetched_at="2026-12-06T08:01:00+08:00",
        title=title,
        text=text,
    )


def crawl_lane(pool: asyncpg.Pool, bus: Bus, site: str) -> Indexer:
    """The crawl lane's indexer under a durable name of this test, reading only this site."""
    crawls = Indexer(pool, bus)
    crawls.name, crawls.subject = f"indexer-{site}", f"{PageFetched.SUBJECT}.{site}"
    return crawls


async def stored(pool: asyncpg.Pool, site: str, source: str) -> int:
    return int(await pool.fetchval("select count(*) from documents where site_id = $1 and source = $2", site, source))


async def test_a_crawled_change_is_stored_while_an_import_backlog_waits(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    site = await make_site(pg_pool)
    for i in range(IMPORTED):
        await bus.publish(imported(site, i))
    change = crawled(site, "news/1.html", "停水通知", "明日停水")
    await bus.publish(change)
    # The two lanes under durable names of this test, each reading only this site, as `yiwang consumers` runs them.
    crawls, imports = crawl_lane(pg_pool, bus, site), ImportIndexer(pg_pool, bus)
    imports.name, imports.subject = f"indexer-imports-{site}", f"{PageImported.SUBJECT}.{site}"
    async with running(bus, crawls):  # the import lane's consumer not yet running: its backlog waits whole
        await eventually(lambda: stored(pg_pool, site, "crawl"), lambda n: n == 1, timeout=30)
        assert await stored(pg_pool, site, "disclosure") == 0, "the crawl lane went through the import's pages"
    async with running(bus, imports):
        await eventually(lambda: stored(pg_pool, site, "disclosure"), lambda n: n == IMPORTED, timeout=120)
    assert await stored(pg_pool, site, "crawl") == 1


async def test_an_inspection_waits_for_the_crawl_lane_only(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    """A crawl-queued inspection waits until the indexer has stored what was published (core.bus.progress
    .wait_until_applied); an import backlog on the other lane does not hold it; an absent indexer does not block."""
    site = await make_site(pg_pool)
    crawls = crawl_lane(pg_pool, bus, site)
    absent = await wait_until_applied(bus, stream=crawls.stream, consumer=crawls.name, timeout_s=5)
    assert absent is False
    await bus.js.add_consumer(crawls.stream, config=crawls.config(max_deliver=5, ack_wait_s=10, batch=32))
    assert await wait_until_applied(bus, stream=crawls.stream, consumer=crawls.name, timeout_s=5), "nothing to apply"
    await bus.publish(crawled(site, "a.html", "通知"))
    for i in range(20):
        await bus.publish(imported(site, i))  # after it in the stream, on the other lane
    behind = await wait_until_applied(bus, stream=crawls.stream, consumer=crawls.name, timeout_s=1, poll_s=0.1)
    assert behind is False, "a page not yet stored"
    async with running(bus, crawls):
        assert await wait_until_applied(bus, stream=crawls.stream, consumer=crawls.name, timeout_s=30, poll_s=0.1)
        assert await stored(pg_pool, site, "crawl") == 1

"""Faults: the indexer killed with -9 mid-batch, NATS restarted while a crawl publishes. Nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus, PageFetched, consumer_lag
from core.crawls import queue_crawl
from core.db import migrate
from core.settings import Settings
from core.sites import get_site, parse_sites, sync_sites
from ops.embedded import EmbeddedServices
from scrapers.crawl import Crawler
from tests.conftest import ROOT
from tests.polling import eventually
from workers.indexer import Indexer

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def own_services(tmp_path: Path) -> Iterator[tuple[EmbeddedServices, Settings]]:
    """Services of this test alone: durable consumer state and streams start empty."""
    services = EmbeddedServices(tmp_path)
    started = services.start()
    settings = Settings(database_url=started["postgres"].url, nats_url=started["nats"].url, data_dir=tmp_path,
                        connect_retries=5, connect_retry_delay_s=0.2)  # fmt: skip
    yield services, settings
    services.stop()


def consumers_process(settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATABASE_URL=settings.database_url or "", NATS_URL=settings.nats_url or "",
               DATA_DIR=str(settings.data_dir), CONSUMER_BATCH="50", LOG_FORMAT="text")  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "ops", "consumers", "--only", "indexer"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


async def count_docs(pool: asyncpg.Pool, site: str) -> int:
    return int(await pool.fetchval("select count(*) from documents where site_id = $1", site))


async def wait_for(pool: asyncpg.Pool, site: str, target: int, timeout: float) -> int:
    """The site's document count once it reaches `target`."""
    return await eventually(lambda: count_docs(pool, site), lambda n: n >= target, timeout=timeout)


async def all_acked(bus: Bus, durable: str) -> bool:
    """Every message of the consumer's stream was delivered and acked: redeliveries after a kill included."""
    lag = await consumer_lag(bus, Indexer.stream, durable)
    return lag["pending"] == 0 and lag["ack_pending"] == 0


async def test_kill_9_mid_batch_loses_and_doubles_nothing(own_services: tuple[EmbeddedServices, Settings]) -> None:
    _, settings = own_services
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    bus = await Bus(settings, name="fault-test").connect()
    try:
        await migrate(pool)
        await bus.ensure_streams()
        await sync_sites(pool, parse_sites("sites: [{id: k9, name: K9, level: 市, start_urls: ['http://k9.test/']}]"))
        total = 3000

        def page(i: int) -> PageFetched:
            return PageFetched(site_id="k9", url=f"http://k9.test/p{i}.html", status=200, content_hash=f"h{i}",
                               fetched_at="2026-01-01T00:00:00+00:00", title=f"第{i}号", text="正文" * 50)  # fmt: skip

        for start in range(0, total, 250):
            await asyncio.gather(*(bus.publish(page(i)) for i in range(start, min(start + 250, total))))
        first = consumers_process(settings)
        seen = await wait_for(pool, "k9", 300, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert 0 < seen < total, "the kill landed mid-way through the backlog"
        second = consumers_process(settings)
        try:
            assert await wait_for(pool, "k9", total, timeout=120) == total
            await eventually(lambda: all_acked(bus, Indexer.name), timeout=120, what="every redelivery applied")
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0, "SIGTERM stops the consumers process cleanly"
        assert await count_docs(pool, "k9") == total, "every page exactly once"
        versions = await pool.fetchval("select max(version) from documents where site_id = 'k9'")
        assert versions == 1, "a redelivered page changed nothing"
    finally:
        await bus.close()
        await pool.close()


async def test_nats_restart_during_crawl_loses_nothing(own_services: tuple[EmbeddedServices, Settings],
                                                       tmp_path: Path) -> None:  # fmt: skip
    from ops.demo.server import DemoSiteGroup

    services, settings = own_services
    group = DemoSiteGroup(tmp_path / "demo")
    await group.start()
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=6)
    bus = await Bus(settings, name="crawler", max_publish_wait_s=60).connect()
    try:
        await migrate(pool)
        await bus.ensure_streams()
        yaml_path = tmp_path / "sites.yaml"
        group.write_sites_yaml(yaml_path)
        await sync_sites(pool, parse_sites(yaml_path.read_text(encoding="utf-8")))
        crawl_id = await queue_crawl(pool, "demo-dept", "test")
        assert crawl_id is not None
        site = await get_site(pool, "demo-dept")
        slow = dataclasses.replace(settings, crawl_host_delay_s=0.03, crawl_concurrency=2)  # outlasts the restart
        crawl = asyncio.create_task(Crawler(slow, pool, bus).crawl(site, crawl_id))
        fetched = "select pages_fetched from crawls where id = $1"
        await eventually(lambda: pool.fetchval(fetched, crawl_id), lambda n: n >= 20, interval=0.02)
        await asyncio.to_thread(services.stop, "nats")
        await asyncio.sleep(1.0)  # not a wait: NATS stays down this long while the crawl must keep waiting
        assert not crawl.done(), "the crawl waits for NATS instead of failing or dropping pages"
        await asyncio.to_thread(services.start, postgres=False, nats=True)
        result = await asyncio.wait_for(crawl, timeout=120)
        stream = await bus.js.stream_info("YW_CRAWL")
        assert stream.state.messages == result.changed > 100, "every changed page reached the stream once"
    finally:
        await bus.close()
        await pool.close()
        await group.stop()

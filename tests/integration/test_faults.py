"""Faults: the indexer killed with -9 mid-batch, NATS restarted while a crawl publishes, a consumers process killed
after its analysis pool started, a worker killed mid-crawl. Nothing is lost or doubled; recovery needs no hand."""

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
import psutil
import pytest

from core.bus import Bus, PageFetched, consumer_lag
from core.crawls import queue_crawl, request_crawl
from core.db import migrate
from core.jobs import build_broker, ensure_broker_schema
from core.settings import Settings
from core.sites import get_site, parse_sites, sync_sites
from ops.embedded import EmbeddedServices, ServiceState
from ops.supervisor import Supervisor
from ops.watch import ServiceWatch
from scrapers.crawl import Crawler
from tests.conftest import ROOT
from tests.polling import eventually
from workers.indexer import Indexer
from workers.projector import SearchProjector

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def own_services(tmp_path: Path) -> Iterator[tuple[EmbeddedServices, Settings]]:
    """Services of this test alone: durable consumer state and streams start empty."""
    services = EmbeddedServices(tmp_path)
    started = services.start()
    settings = Settings(
        database_url=started["postgres"].url,
        nats_url=started["nats"].url,
        data_dir=tmp_path,
        connect_retries=5,
        connect_retry_delay_s=0.2,
    )
    yield services, settings
    services.stop()


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=settings.database_url or "",
        NATS_URL=settings.nats_url or "",
        DATA_DIR=str(settings.data_dir),
        LOG_FORMAT="text",
        **extra,
    )


def consumers_process(settings: Settings) -> subprocess.Popen[bytes]:
    # the batch in flight at the kill comes back after the ack wait: short here, so the test does not wait 60 s
    env = child_env(settings, CONSUMER_BATCH="50", CONSUMER_ACK_WAIT_S="5")
    return subprocess.Popen(
        [sys.executable, "-m", "ops", "consumers", "--only", "indexer"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def count_docs(pool: asyncpg.Pool, site: str) -> int:
    return int(await pool.fetchval("select count(*) from documents where site_id = $1", site))


async def wait_for(pool: asyncpg.Pool, site: str, target: int, timeout: float) -> int:
    """The site's document count once it reaches `target`."""
    return await eventually(lambda: count_docs(pool, site), lambda n: n >= target, timeout=timeout)


async def all_acked(bus: Bus, durable: str, stream: str = Indexer.stream) -> bool:
    """Every message of the consumer's stream was delivered and acked: redeliveries after a kill included."""
    lag = await consumer_lag(bus, stream, durable)
    return lag["pending"] == 0 and lag["ack_pending"] == 0


def page(site: str, i: int) -> PageFetched:
    return PageFetched(
        site_id=site,
        url=f"http://{site}.test/p{i}.html",
        status=200,
        content_hash=f"h{i}",
        fetched_at="2026-01-01T00:00:00+00:00",
        title=f"第{i}号",
        text="正文" * 50,
    )


async def publish_pages(bus: Bus, site: str, numbers: range) -> None:
    for start in range(numbers.start, numbers.stop, 250):
        await asyncio.gather(*(bus.publish(page(site, i)) for i in range(start, min(start + 250, numbers.stop))))


def descendants(pid: int | None) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True) if pid else []
    except psutil.NoSuchProcess:
        return []


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def test_kill_9_mid_batch_loses_and_doubles_nothing(own_services: tuple[EmbeddedServices, Settings]) -> None:
    _, settings = own_services
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    bus = await Bus(settings, name="fault-test").connect()
    try:
        await migrate(pool)
        await bus.ensure_streams()
        await sync_sites(pool, parse_sites("sites: [{id: k9, name: K9, level: 市, start_urls: ['http://k9.test/']}]"))
        total = 3000
        await publish_pages(bus, "k9", range(total))
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


async def test_nats_restart_during_crawl_loses_nothing(
    own_services: tuple[EmbeddedServices, Settings], tmp_path: Path
) -> None:
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


async def test_consumers_killed_after_their_analysis_pool_started_are_restarted(
    own_services: tuple[EmbeddedServices, Settings],
) -> None:
    """The pool's helpers inherit the supervisor's pipe: the restart must not wait for them, and they die."""
    _, settings = own_services
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    bus = await Bus(settings, name="fault-test").connect()
    # what the killed process had fetched but not acked comes back after the ack wait: short here
    supervisor = Supervisor(child_env(settings, CONSUMER_BATCH="200", CONSUMER_ACK_WAIT_S="3"), color=False)
    only = ["--only", "indexer", "--only", SearchProjector.name]
    supervisor.add("consumers", [sys.executable, "-m", "ops", "consumers", *only])
    try:
        await migrate(pool)
        await bus.ensure_streams()
        await sync_sites(pool, parse_sites("sites: [{id: pk, name: PK, level: 市, start_urls: ['http://pk.test/']}]"))
        await supervisor.start()
        first = supervisor.child("consumers").pid
        await publish_pages(bus, "pk", range(600))

        async def analysis_pool() -> list[psutil.Process]:  # the forkserver and its workers
            return [p for p in descendants(first) if "forkserver" in " ".join(p.cmdline())]

        helpers = await eventually(analysis_pool, lambda ps: len(ps) >= 2, timeout=90, what="the analysis pool")
        os.kill(first or 0, signal.SIGKILL)

        async def restarted() -> int | None:
            child = supervisor.child("consumers")
            return child.pid if child.running else None

        assert await eventually(restarted, lambda pid: pid not in (None, first), timeout=30, what="a restart")
        await eventually(lambda: _left(helpers), lambda left: not left, timeout=10, what="the old pool gone")
        await publish_pages(bus, "pk", range(600, 1200))
        assert await wait_for(pool, "pk", 1200, timeout=120) == 1200, "indexing resumed"

        async def projected() -> bool:
            return await all_acked(bus, SearchProjector.name, SearchProjector.stream)

        await eventually(projected, timeout=120, what="every change projected into the search index")
    finally:
        await supervisor.stop()
        await bus.close()
        await pool.close()


async def ensure_streams(settings: Settings) -> None:
    bus = await Bus(settings, name="fault-test").connect()
    try:
        await bus.ensure_streams()
    finally:
        await bus.close()


async def _left(procs: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in procs if alive(p)]


async def test_a_worker_killed_mid_crawl_has_its_crawl_run_again_within_the_bound(
    own_services: tuple[EmbeddedServices, Settings], tmp_path: Path
) -> None:
    """JOB_WORKER_TIMEOUT_S bounds the wait: the broker requeues the dead worker's job, the restarted worker
    resumes the crawl from its frontier, and the crawl finishes."""
    from ops.demo.server import DemoSiteGroup

    _, settings = own_services
    timeout_s = 4.0
    settings = dataclasses.replace(settings, job_worker_timeout_s=timeout_s)
    group = DemoSiteGroup(tmp_path / "demo")
    await group.start()
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    env = child_env(settings, JOB_WORKER_TIMEOUT_S=str(timeout_s), CRAWL_HOST_DELAY_S="0.05")
    supervisor = Supervisor(env, color=False)
    supervisor.add("worker", [sys.executable, "-m", "ops", "worker", "--threads", "2"])
    broker = build_broker(settings)
    try:
        await migrate(pool)
        await ensure_broker_schema(pool, settings)
        await ensure_streams(settings)
        yaml_path = tmp_path / "sites.yaml"
        group.write_sites_yaml(yaml_path)
        await sync_sites(pool, parse_sites(yaml_path.read_text(encoding="utf-8")))
        await supervisor.start()
        request = await request_crawl(pool=pool, broker=broker, site_id="demo-dept", trigger="test")
        crawl_id = request.crawl.id
        fetched = "select pages_fetched from crawls where id = $1"
        await eventually(lambda: pool.fetchval(fetched, crawl_id), lambda n: n >= 5, timeout=60, what="crawling")
        dramatiq_main = supervisor.child("worker").pid
        helpers = ("forkserver", "resource_tracker")
        workers = [p for p in descendants(dramatiq_main) if not any(h in " ".join(p.cmdline()) for h in helpers)]
        assert workers, "dramatiq's worker process"
        killed_at = await pool.fetchval("select now()")
        for proc in workers:
            proc.kill()  # SIGKILL, as the OOM killer does

        started = "select started_at from crawls where id = $1"
        again = await eventually(
            lambda: pool.fetchval(started, crawl_id), lambda at: at > killed_at, timeout=60, what="running again"
        )
        waited = (again - killed_at).total_seconds()
        # the restart of the worker process (2 s backoff, then its start-up) comes on top of the broker's bound
        assert waited < 1.4 * timeout_s + 2 + 15, f"requeued after {waited:.1f} s"
        state = "select state from crawls where id = $1"
        assert await eventually(lambda: pool.fetchval(state, crawl_id), lambda s: s != "running", timeout=120) == "done"
    finally:
        await supervisor.stop()
        broker.close()
        await pool.close()
        await group.stop()


async def test_a_killed_embedded_postgres_is_started_again_on_its_port(
    own_services: tuple[EmbeddedServices, Settings],
) -> None:
    """What `yiwang up` runs beside its processes (ops/watch.py): the same URL works again without a hand."""
    services, settings = own_services
    before = services.status()["postgres"]
    assert before is not None
    watch = asyncio.create_task(ServiceWatch(services, ["postgres"], interval_s=0.2).run())
    try:
        os.kill(before.pid, signal.SIGKILL)

        async def select_one() -> int | None:
            try:
                conn = await asyncpg.connect(settings.database_url, timeout=2)
            except (OSError, asyncpg.PostgresError):
                return None
            try:
                return int(await conn.fetchval("select 1"))
            finally:
                await conn.close()

        async def state() -> ServiceState | None:
            return services.status()["postgres"]

        after = await eventually(state, lambda s: s is not None and s.pid != before.pid, timeout=60, what="restart")
        assert after is not None and after.port == before.port
        assert await eventually(select_one, timeout=30, interval=0.2, what="the same DATABASE_URL working") == 1
    finally:
        watch.cancel()


async def test_a_bus_closed_while_nats_is_away_closes_without_an_error(
    own_services: tuple[EmbeddedServices, Settings],
) -> None:
    """A job that finished while NATS restarts must not fail at its exit: the drain has nowhere to go (nats-py
    raises 'connection reconnecting'), and the job would be retried for work already done."""
    services, settings = own_services
    bus = await Bus(settings, name="closing-test").connect()
    await asyncio.to_thread(services.stop, "nats")
    await eventually(lambda: asyncio.sleep(0, result=bus.connected), lambda up: not up, timeout=20, what="disconnected")
    await bus.close()
    assert not bus.connected

"""A 3-node JetStream cluster: streams kept on 3 nodes, and a node SIGKILLed and restarted while a crawl's pages
are published and consumed loses and doubles nothing, in Postgres or in the search index; nobody restarts anything."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from nats.js.api import StreamInfo

from core.bus import Bus, PageFetched, consumer_lag
from core.bus.client import RETRYABLE
from core.search import SearchRequest
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from ops.cli import main
from ops.embedded_cluster import NatsCluster
from tests.integration.search_fixtures import make_site, running
from tests.polling import eventually
from workers.indexer import Indexer
from workers.projector import SearchProjector

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PAGES = 160


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(tmp_path / "nats", size=3)
    nodes.start()
    yield nodes
    nodes.stop()


def page(site: str, i: int) -> PageFetched:
    return PageFetched(
        site_id=site,
        url=f"https://{site}.example.gov.cn/policy/{i}.html",
        status=200,
        content_hash=f"h{i}",
        fetched_at="2026-01-01T00:00:00+00:00",
        kind="policy",
        title=f"集群测试第{i}号",
        text="正文" * 40,
    )


async def publish_all(bus: Bus, site: str) -> None:
    for start in range(0, PAGES, 20):  # a crawl's pace: small bursts, each waiting for its acks
        await asyncio.gather(*(bus.publish(page(site, i)) for i in range(start, start + 20)))
        await asyncio.sleep(0.02)


def on_three_nodes(stream: StreamInfo) -> bool:
    """The stream has a leader and two current followers: its copies have caught up after a change of count."""
    cluster = stream.cluster
    followers = [] if cluster is None else [p for p in cluster.replicas or [] if p.current]
    return stream.config.num_replicas == 3 and cluster is not None and bool(cluster.leader) and len(followers) == 2


async def settled(bus: Bus, pool: asyncpg.Pool, index: TantivyEngine, site: str) -> tuple[int, int, int] | None:
    """(documents in Postgres, documents in the index, messages not yet acked by either consumer); None while
    a consumer's new leader is being elected (its info does not answer yet)."""
    docs = int(await pool.fetchval("select count(*) from documents where site_id = $1", site))
    hits = await index.search(SearchRequest(filters={"site": [site]}, limit=1, highlight=False))
    unacked = 0
    for stream, durable in ((Indexer.stream, Indexer.name), (SearchProjector.stream, SearchProjector.name)):
        try:
            lag = await consumer_lag(bus, stream, durable)
        except RETRYABLE:
            return None
        unacked += lag["pending"] + lag["ack_pending"]
    return docs, hits.total, unacked


async def test_a_node_killed_mid_crawl_loses_and_doubles_nothing(
    cluster: NatsCluster, settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    own = dataclasses.replace(settings, nats_url=cluster.url, data_dir=tmp_path / "data", stream_replicas=1)
    site = await make_site(pg_pool)
    publisher = await Bus(own, name="crawler", max_publish_wait_s=60).connect()
    consumers_bus = await Bus(own, name="consumers").connect()  # as the consumers process holds its own
    index = TantivyEngine(own.data_dir)
    try:
        await publisher.ensure_streams()  # STREAM_REPLICAS=1: one copy, as streams made before a cluster have
        assert (await publisher.js.stream_info("YW_CRAWL")).config.num_replicas == 1
        publisher.settings = dataclasses.replace(own, stream_replicas=0)  # the default: as many as the cluster
        await publisher.ensure_streams()
        crawl = await eventually(lambda: publisher.js.stream_info("YW_CRAWL"), on_three_nodes, what="3 copies")
        assert crawl.config.num_replicas == 3 and crawl.cluster is not None
        leader = crawl.cluster.leader
        assert leader in cluster.nodes()
        projector = SearchProjector(pg_pool, TantivyEngine(own.data_dir))
        async with running(consumers_bus, Indexer(pg_pool, consumers_bus), projector) as runners:
            for runner in runners:
                runner.ack_wait_s = 2.0  # what the killed leader had delivered comes back this soon
            publishing = asyncio.create_task(publish_all(publisher, site))
            count = "select count(*) from documents where site_id = $1"
            await eventually(lambda: pg_pool.fetchval(count, site), lambda n: n >= PAGES // 8, timeout=20)
            await asyncio.to_thread(cluster.kill, leader)  # the stream's leader: a new one must be elected
            assert not cluster.running(leader)
            await asyncio.sleep(1.0)  # the node stays down this long while pages go on being published
            await asyncio.to_thread(cluster.restart, leader)
            await asyncio.wait_for(publishing, timeout=30)
            await index.open()
            final = await eventually(
                lambda: settled(publisher, pg_pool, index, site),
                lambda s: s == (PAGES, PAGES, 0),
                timeout=30,
                interval=0.2,
                what="every page in Postgres and the index, every message acked",
            )
            assert final == (PAGES, PAGES, 0)
            assert all(r.stats.dead_lettered == 0 for r in runners)
        versions = await pg_pool.fetchval("select max(version) from documents where site_id = $1", site)
        assert versions == 1, "a page delivered twice changed nothing the second time"
        assert (await publisher.js.stream_info("YW_CRAWL")).state.messages == PAGES, "each page once in the stream"
    finally:
        await index.close()
        await consumers_bus.close()
        await publisher.close()


def test_the_cli_starts_prints_and_stops_a_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*argv: str) -> str:
        with pytest.raises(SystemExit) as done:
            main(["nats-cluster", *argv, "--data-dir", str(tmp_path), "--size", "2"])
        assert done.value.code == 0
        return capsys.readouterr().out

    try:
        shown = run("start")
        url = run("status", "--url").strip()
        nodes = NatsCluster(tmp_path, size=2).nodes()
        assert url.split(",") == [f"nats://{token(tmp_path)}@127.0.0.1:{n.port}" for n in nodes.values()]
        assert token(tmp_path) not in shown and shown.count(" running ") == 2, "the token is masked"
    finally:
        assert "stopped: n1, n2" in run("stop")
    assert not any(NatsCluster(tmp_path, size=2).running(name) for name in nodes)


def token(data_dir: Path) -> str:
    return (data_dir / "nats-cluster" / "nats-token").read_text().strip()

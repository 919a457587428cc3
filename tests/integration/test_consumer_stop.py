"""A stop asked while Postgres hangs ends a consumer within seconds (it no longer waits on the database), and the
batch it held is given back to JetStream at once: nothing is lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

import asyncpg
import psutil
import pytest

from core.bus import Bus, ConsumerRunner, PageFetched
from core.db import close_pool
from ops.embedded import EmbeddedServices
from tests.integration.search_fixtures import make_site, running
from tests.integration.test_postgres_restart import own_postgres, page  # noqa: F401 - a fixture
from tests.polling import eventually
from workers.indexer import Indexer

pytestmark = [pytest.mark.integration]
PAGES = 10
STOPPED_WITHIN_S = 10.0  # the runner's grace for a batch in hand (3 s), the bounded pool close (2 s), slack


@contextmanager
def hung(services: EmbeddedServices) -> Iterator[None]:
    """Postgres frozen (the server and its backends): connections neither answer nor fail, as with a host gone."""
    state = services.status()["postgres"]
    assert state is not None
    postmaster = psutil.Process(state.pid)
    frozen = [postmaster, *postmaster.children(recursive=True)]
    for proc in frozen:
        with suppress(psutil.NoSuchProcess):  # a backend exiting as it is listed
            proc.suspend()
    try:
        yield
    finally:
        for proc in frozen:
            # a backend already on its way out when frozen (a just-closed connection, an autovacuum worker) may
            # be gone by now: CI saw one missing at resume
            with suppress(psutil.NoSuchProcess):
                proc.resume()


class Indexing(Indexer):
    """The real indexer, saying when it has a batch in hand (the moment the stop is to find it busy)."""

    def __init__(self, pool: asyncpg.Pool, bus: Bus, site: str) -> None:
        super().__init__(pool, bus)
        self.name, self.subject = f"indexer-{site}", f"{PageFetched.SUBJECT}.{site}"
        self.busy = asyncio.Event()

    async def handle(self, batch: Sequence[PageFetched]) -> None:
        self.busy.set()
        await super().handle(batch)


async def test_a_stop_while_postgres_hangs_ends_the_consumer_and_gives_its_batch_back(
    own_postgres: tuple[EmbeddedServices, str],  # noqa: F811 - the fixture imported above
    bus: Bus,
) -> None:
    services, db_url = own_postgres
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=3)  # no command timeout: a query would wait
    site = await make_site(pool)
    stored = "select count(*) from documents where site_id = $1"
    indexer = Indexing(pool, bus, site)
    runner = ConsumerRunner(bus, indexer, batch=32, ack_wait_s=30)  # a batch not given back returns after 30 s
    task = asyncio.create_task(runner.run())
    await bus.publish(page(site, 0))
    await eventually(lambda: pool.fetchval(stored, site), lambda n: n == 1, timeout=10, what="a page stored")
    indexer.busy.clear()
    with hung(services):
        await asyncio.gather(*(bus.publish(page(site, i)) for i in range(1, PAGES)))
        await asyncio.wait_for(indexer.busy.wait(), timeout=10)  # a batch in hand, its queries unanswered
        started = time.monotonic()
        runner.stop()
        await asyncio.wait_for(task, timeout=30)
        await close_pool(pool)
        stopped_s = time.monotonic() - started
    assert stopped_s < STOPPED_WITHIN_S, f"stopped {stopped_s:.1f} s after being asked"

    # Given back, not left to the ack wait: the next run (another process, say) stores it well within 30 s.
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=3)
    try:
        async with running(bus, Indexing(pool, bus, site)):
            await eventually(lambda: pool.fetchval(stored, site), lambda n: n == PAGES, timeout=15, what="all")
        versions = await pool.fetchval("select max(version) from documents where site_id = $1", site)
        assert versions == 1, "each page applied once"
    finally:
        await pool.close()

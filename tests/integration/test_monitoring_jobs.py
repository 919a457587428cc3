"""Monitoring jobs: probes ≥ 20 a day, daily link checks, inspections after crawls; the actors are registered."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from core.jobs import CHECK_LINKS, INSPECT_SITE, PROBE_HOMEPAGE, Attempt
from core.monitoring.job_runs import job_running
from core.monitoring.schedule import due_jobs, enqueue
from core.sites import parse_sites, sync_sites

pytestmark = pytest.mark.integration
SITE = "mon-sched"
T0 = datetime(2031, 1, 1, 0, 0, tzinfo=UTC)  # after anything other tests enqueue, so only our records count


def mine(due: list[tuple[tuple[str, str], str]]) -> list[str]:
    return [actor[0] for actor, site in due if site == SITE]


async def test_schedule_probes_links_and_inspections(pg_pool: asyncpg.Pool) -> None:
    await sync_sites(
        pg_pool,
        parse_sites(f'sites:\n  - {{id: {SITE}, name: 调度, level: 部门, start_urls: ["http://127.0.0.1:9/"]}}\n'),
    )
    broker = StubBroker()
    due = await due_jobs(pg_pool, T0)
    assert mine(due) == ["probe_homepage", "inspect_site"], "no links to check before the first crawl"
    await pg_pool.execute(
        "insert into crawls (site_id, state, finished_at) values ($1, 'done', $2)", SITE, T0 - timedelta(minutes=5)
    )
    due = await due_jobs(pg_pool, T0)
    assert mine(due) == ["probe_homepage", "check_links", "inspect_site"], "the links of the first crawl, at once"
    for actor, site in due:
        if site == SITE:
            await enqueue(pg_pool, broker, actor, site, T0)
    assert broker.queues["checks"].qsize() == 3
    assert mine(await due_jobs(pg_pool, T0 + timedelta(minutes=30))) == []
    probes = 0
    for minute in range(0, 24 * 60, 10):  # a day of scheduler ticks every 10 minutes
        at = T0 + timedelta(minutes=minute)
        for actor, site in await due_jobs(pg_pool, at):
            if site == SITE and actor == PROBE_HOMEPAGE:
                probes += 1
                await enqueue(pg_pool, broker, actor, site, at)
    assert probes + 1 >= 20, "the homepage is probed at least 20 times a day"
    # A finished crawl makes an inspection due before the day is over.
    await pg_pool.execute("insert into crawls (site_id, state, finished_at) values ($1, 'done', $2)",
                          SITE, T0 + timedelta(hours=2))  # fmt: skip
    due = mine(await due_jobs(pg_pool, T0 + timedelta(hours=3)))
    assert INSPECT_SITE[0] in due and CHECK_LINKS[0] not in due


def test_worker_registers_the_monitoring_actors() -> None:
    code = ("import dramatiq, workers.actors; b = dramatiq.get_broker(); "
            "print(sorted(a for a in b.get_declared_actors()))")  # fmt: skip
    env = {**os.environ, "BROKER_URL": "stub://"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    for actor in (CHECK_LINKS, PROBE_HOMEPAGE, INSPECT_SITE):
        assert f"'{actor[0]}'" in out.stdout


async def test_a_crawl_queues_no_inspection_while_one_of_the_site_is_in_flight(pg_pool: asyncpg.Pool) -> None:
    """The inspection in flight is left to finish; the crawl's own follows on the first tick after it, and a job
    lost for IN_FLIGHT_FOR no longer holds it back."""
    site = "mon-sched-inflight"
    await sync_sites(
        pg_pool,
        parse_sites(f'sites:\n  - {{id: {site}, name: 在途调度, level: 部门, start_urls: ["http://127.0.0.1:9/"]}}\n'),
    )

    async def inspections_due(at: datetime) -> bool:
        return (INSPECT_SITE, site) in await due_jobs(pg_pool, at)

    async def crawled(at: datetime) -> None:
        await pg_pool.execute("insert into crawls (site_id, state, finished_at) values ($1, 'done', $2)", site, at)

    await crawled(T0 - timedelta(minutes=5))
    assert await inspections_due(T0)
    queued = await enqueue(pg_pool, StubBroker(), INSPECT_SITE, site, T0)
    await crawled(T0 + timedelta(minutes=10))  # a crawl ends while that inspection waits in the queue
    assert not await inspections_due(T0 + timedelta(minutes=15)), "the queued inspection will read the crawl"
    started = T0 + timedelta(minutes=20)
    async with job_running(pg_pool, Attempt(queued, 0), lambda: started):
        assert not await inspections_due(T0 + timedelta(minutes=25)), "one running: none queued beside it"
    assert await inspections_due(T0 + timedelta(minutes=30)), "once it is done, the crawl's inspection is due"
    await enqueue(pg_pool, StubBroker(), INSPECT_SITE, site, T0 + timedelta(minutes=30))
    await crawled(T0 + timedelta(minutes=40))
    assert not await inspections_due(T0 + timedelta(minutes=45))
    assert await inspections_due(T0 + timedelta(minutes=95)), "a job queued an hour ago and never run is lost"


class Witness(StubBroker):
    """A broker that looks for the job's row as it is sent, as a worker taking the message at once would."""

    def __init__(self, pool: asyncpg.Pool, loop: asyncio.AbstractEventLoop, *, fail: bool = False) -> None:
        super().__init__()
        self.pool, self.loop, self.fail = pool, loop, fail
        self.found: list[str | None] = []

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> dramatiq.Message[Any]:
        sql = "select state from job_runs where message_id = $1"
        row = asyncio.run_coroutine_threadsafe(self.pool.fetchval(sql, message.message_id), self.loop)
        self.found.append(row.result(timeout=10))
        if self.fail:
            raise ConnectionError("the broker went away")
        return super().enqueue(message, delay=delay)


async def test_a_monitoring_job_is_recorded_before_it_is_sent(pg_pool: asyncpg.Pool) -> None:
    """A worker that takes the scheduler's message at once finds the row it marks running and done (sent first, the
    row came after the worker had looked, and stayed queued: in flight for an hour, holding the crawls' inspections
    back); a send that fails leaves no row, so the job is due again at once."""
    site = "mon-sched-recorded"
    await sync_sites(
        pg_pool,
        parse_sites(f'sites:\n  - {{id: {site}, name: 先记后发, level: 部门, start_urls: ["http://127.0.0.1:9/"]}}\n'),
    )
    loop = asyncio.get_running_loop()
    with pytest.raises(ConnectionError):
        await enqueue(pg_pool, Witness(pg_pool, loop, fail=True), INSPECT_SITE, site, T0)
    assert (INSPECT_SITE, site) in await due_jobs(pg_pool, T0), "a job never sent is not in flight"
    broker = Witness(pg_pool, loop)
    message_id = await enqueue(pg_pool, broker, INSPECT_SITE, site, T0)
    assert broker.found == ["enqueued"], "the worker finds its row"
    async with job_running(pg_pool, Attempt(message_id, 0), lambda: T0):
        pass
    sql = "select message_id, state from job_runs where actor = $1 and key = $2"
    assert [tuple(r) for r in await pg_pool.fetch(sql, INSPECT_SITE[0], site)] == [(message_id, "done")]

"""Monitoring jobs: probes ≥ 20 a day, daily link checks, inspections after crawls; the actors are registered."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from dramatiq.brokers.stub import StubBroker

from core.jobs import CHECK_LINKS, INSPECT_SITE, PROBE_HOMEPAGE
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

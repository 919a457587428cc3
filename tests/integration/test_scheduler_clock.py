"""The scheduler under clock jumps: a clock jumped ahead or back runs no site's crawl or monitoring job again."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import asyncpg
import pytest
from dramatiq.brokers.stub import StubBroker

from core.crawls import due_sites
from core.monitoring.schedule import due_jobs, enqueue
from core.sites import parse_sites, sync_sites
from workers.scheduler import MAX_SKEW_S, scheduler_now

pytestmark = pytest.mark.integration
JUMPS = [timedelta(days=1), timedelta(hours=-2), timedelta(days=-30), timedelta(days=400)]


async def site_just_crawled_and_checked(pool: asyncpg.Pool) -> tuple[str, datetime]:
    """A site of its own, crawled five minutes ago and then probed, link-checked and inspected."""
    site = f"clock-{secrets.token_hex(3)}"
    await sync_sites(
        pool, parse_sites(f"sites:\n  - {{id: {site}, name: 时钟, level: 部门, start_urls: ['http://127.0.0.1:9/']}}\n")
    )
    await pool.execute(
        "insert into crawls (site_id, state, queued_at, started_at, finished_at) "
        "values ($1, 'done', now() - interval '6 min', now() - interval '6 min', now() - interval '5 min')",
        site,
    )
    real = await pool.fetchval("select now()")
    broker = StubBroker()
    try:
        for actor, due_site in await due_jobs(pool, real):
            if due_site == site:
                await enqueue(pool, broker, actor, site, real)
    finally:
        broker.close()
    assert await pool.fetchval("select count(*) from job_runs where key = $1", site) == 3
    return site, real


async def test_a_jumped_clock_runs_nothing_again(pg_pool: asyncpg.Pool) -> None:
    site, real = await site_just_crawled_and_checked(pg_pool)
    for jump in JUMPS:
        clock_reading = real + jump
        now = await scheduler_now(pg_pool, lambda moment=clock_reading: moment)  # type: ignore[misc]
        assert abs((now - real).total_seconds()) < 30, f"{jump}: the tick uses Postgres's time"
        assert [s for (_, _), s in await due_jobs(pg_pool, now) if s == site] == [], f"{jump}: no job again"
        assert site not in await due_sites(pg_pool, now), f"{jump}: no crawl again"
    # What the jump would have done with the clock taken as it was: a crawl and every job at once.
    ahead = real + JUMPS[0]
    assert site in await due_sites(pg_pool, ahead)
    assert sorted(a for (a, _), s in await due_jobs(pg_pool, ahead) if s == site) == [
        "check_links",
        "inspect_site",
        "probe_homepage",
    ]


async def test_a_clock_within_the_skew_is_used_as_it_is(pg_pool: asyncpg.Pool) -> None:
    db_now = await pg_pool.fetchval("select now()")
    moment = db_now + timedelta(seconds=MAX_SKEW_S / 2)
    assert await scheduler_now(pg_pool, lambda: moment) == moment

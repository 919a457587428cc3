"""Requesting and running a crawl (core.crawls): one queued crawl per site, its job sent once, its end recorded."""

from __future__ import annotations

import queue
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import asyncpg
import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.time_limit import TimeLimitExceeded

from core.crawls import due_sites, request_crawl, run_crawl
from core.errors import NotFound
from core.settings import Settings
from core.sites.service import Site, add_site_if_missing
from tests.integration.crawling import add_site, site_record, unique
from tests.integration.graphql import gql, gql_data
from workers.scheduler import tick

pytestmark = pytest.mark.integration


class Summary:
    def summary(self) -> str:
        return "fetched=3 changed=1"


def sent_jobs(broker: StubBroker, queue_name: str = "crawl") -> list[tuple[object, ...]]:
    """The args of every job sent to the queue (and taken off it)."""

    def drain() -> Iterator[bytes]:
        q = broker.queues.get(queue_name)
        while q is not None:
            try:
                yield q.get_nowait()
            except queue.Empty:
                return

    return [tuple(dramatiq.Message.decode(data).args) for data in drain()]


async def new_site(pool: asyncpg.Pool, prefix: str) -> str:
    site_id = unique(prefix)
    await add_site(pool, site_record(site_id, "http://127.0.0.1:9"))
    return site_id


async def test_a_request_queues_one_crawl_and_sends_its_job_once(pg_pool: asyncpg.Pool) -> None:
    site_id = await new_site(pg_pool, "req")
    broker = StubBroker()
    try:
        first = await request_crawl(pool=pg_pool, broker=broker, site_id=site_id, trigger="manual")
        assert first.queued and (first.crawl.state, first.crawl.trigger) == ("queued", "manual")
        again = await request_crawl(pool=pg_pool, broker=broker, site_id=site_id, trigger="manual-full", full=True)
        assert not again.queued and again.crawl.id == first.crawl.id, "a crawl in flight is not queued twice"
        assert sent_jobs(broker) == [(site_id, first.crawl.id)]
        with pytest.raises(NotFound):
            await request_crawl(pool=pg_pool, broker=broker, site_id="no-such-site", trigger="manual")
    finally:
        broker.close()


async def test_a_run_records_done_failed_and_ignores_a_repeated_job(pg_pool: asyncpg.Pool) -> None:
    site_id = await new_site(pg_pool, "run")
    broker = StubBroker()
    crawled: list[tuple[str, int]] = []

    async def crawl(site: Site, crawl_id: int) -> Summary:
        crawled.append((site.id, crawl_id))
        return Summary()

    async def broken(site: Site, crawl_id: int) -> Summary:
        raise RuntimeError("the site answered nonsense")

    try:
        done = (await request_crawl(pool=pg_pool, broker=broker, site_id=site_id, trigger="manual")).crawl
        assert await run_crawl(pool=pg_pool, crawl_id=done.id, site_id=site_id, crawl=crawl) is not None
        assert await run_crawl(pool=pg_pool, crawl_id=done.id, site_id=site_id, crawl=crawl) is None
        assert crawled == [(site_id, done.id)], "the repeated job did not crawl again"
        failed = (await request_crawl(pool=pg_pool, broker=broker, site_id=site_id, trigger="manual")).crawl
        with pytest.raises(RuntimeError):
            await run_crawl(pool=pg_pool, crawl_id=failed.id, site_id=site_id, crawl=broken)
    finally:
        broker.close()
    rows = await pg_pool.fetch("select id, state, message from crawls where site_id = $1 order by id", site_id)
    assert [r["state"] for r in rows] == ["done", "failed"] and rows[0]["message"] == "fetched=3 changed=1"
    # The message is public (crawlStatus): a class of failure with an id for the logs, not the exception.
    assert re.fullmatch(r"internal error \(id [0-9a-f]{12}\)", rows[1]["message"])


async def test_a_job_interrupted_by_its_time_limit_leaves_the_crawl_for_its_retry(pg_pool: asyncpg.Pool) -> None:
    site_id = await new_site(pg_pool, "limit")
    broker = StubBroker()
    attempts: list[int] = []

    async def slow_then_fine(site: Site, crawl_id: int) -> Summary:
        attempts.append(crawl_id)
        if len(attempts) == 1:
            raise TimeLimitExceeded()  # what dramatiq raises in a job past its time limit (a BaseException)
        return Summary()

    try:
        crawl = (await request_crawl(pool=pg_pool, broker=broker, site_id=site_id, trigger="manual")).crawl
        with pytest.raises(TimeLimitExceeded):
            await run_crawl(pool=pg_pool, crawl_id=crawl.id, site_id=site_id, crawl=slow_then_fine)
        assert await pg_pool.fetchval("select state from crawls where id = $1", crawl.id) == "running"
        assert await run_crawl(pool=pg_pool, crawl_id=crawl.id, site_id=site_id, crawl=slow_then_fine) is not None
    finally:
        broker.close()
    assert attempts == [crawl.id, crawl.id], "the retry took the same crawl up again"
    assert await pg_pool.fetchval("select state from crawls where id = $1", crawl.id) == "done"


async def test_the_scheduler_queues_each_due_site_once_and_sends_its_job(
    pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    site_id = await new_site(pg_pool, "sched")
    broker = StubBroker()
    queued: list[int] = []
    try:
        queued += await tick(pool=pg_pool, broker=broker, settings=settings, now=datetime.now(UTC))
        mine = await pg_pool.fetchrow("select id, trigger, state from crawls where site_id = $1", site_id)
        assert mine["id"] in queued and (mine["trigger"], mine["state"]) == ("schedule", "queued")
        assert (site_id, mine["id"]) in sent_jobs(broker)
        second = await tick(pool=pg_pool, broker=broker, settings=settings, now=datetime.now(UTC))
        queued += second
        assert mine["id"] not in second, "a queued crawl is not queued again"
        assert (site_id, mine["id"]) not in sent_jobs(broker)
    finally:
        broker.close()
        # Other tests' sites were due too: their crawls must not stay queued for them.
        await pg_pool.execute(
            "update crawls set state = 'failed', finished_at = now(), message = 'test' where id = any($1::bigint[])",
            queued,
        )


async def test_crawl_site_mutation_queues_once_and_reports_the_crawl_in_flight(
    api_url: str, pg_pool: asyncpg.Pool
) -> None:
    site_id = await new_site(pg_pool, "api")
    mutation = "mutation($s: ID!, $f: Boolean!) { crawlSite(site: $s, full: $f) { crawlId state trigger fetched } }"
    first = (await gql_data(api_url, mutation, {"s": site_id, "f": True}))["crawlSite"]
    assert (first["state"], first["trigger"], first["fetched"]) == ("queued", "manual-full", 0)
    again = (await gql_data(api_url, mutation, {"s": site_id, "f": False}))["crawlSite"]
    assert again == first, "while a crawl is queued, asking again reports it"
    status = await gql_data(api_url, "query($s: ID!) { crawlStatus(site: $s) { crawlId } }", {"s": site_id})
    assert status["crawlStatus"]["crawlId"] == first["crawlId"]
    await pg_pool.execute("update crawls set state = 'failed', finished_at = now() where site_id = $1", site_id)


async def test_a_site_without_start_urls_is_not_queued_for_a_crawl_that_could_only_fail(
    api_url: str, pg_pool: asyncpg.Pool
) -> None:
    """A grassroots unit's site (its disclosure is imported) asked to crawl: BAD_INPUT at once, no job, and the
    scheduler passes it by even when it is enabled."""
    site_id = unique("unit-like")
    await add_site_if_missing(pg_pool, site_id=site_id, name="某村", level="村社区")
    mutation = "mutation($s: ID!) { crawlSite(site: $s) { crawlId state } }"
    body = await gql(api_url, mutation, {"s": site_id})
    assert body["errors"][0]["extensions"]["code"] == "BAD_INPUT" and "no start URLs" in body["errors"][0]["message"]
    assert await pg_pool.fetchval("select count(*) from crawls where site_id = $1", site_id) == 0
    await pg_pool.execute("update sites set enabled = true where id = $1", site_id)
    try:
        assert site_id not in await due_sites(pg_pool, datetime.now(UTC))
    finally:
        await pg_pool.execute("update sites set enabled = false where id = $1", site_id)

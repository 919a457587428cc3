"""Job bookkeeping of inspections (job_runs) against dramatiq: retries, cancelled requests, runs of one site side by
side, and inspections asked for by hand ahead of the scheduler's backlog, on the embedded default's Postgres broker."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import asyncpg
import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import TimeLimitExceeded

from core.clock import system_clock
from core.db import migrate
from core.jobs import INSPECT_SITE, INSPECT_SITE_ASKED, Attempt, build_broker, ensure_broker_schema
from core.monitoring.job_runs import job_running, request_job
from core.monitoring.schedule import enqueue
from core.settings import Settings
from tests.polling import eventually
from tests.services import create_database
from workers.jobs import JOBS, Body, declare_actors

pytestmark = pytest.mark.integration
T = TypeVar("T")
RUNS = "select message_id, state, error from job_runs where actor = 'inspect_site' and key = $1 order by id"
IN_FLIGHT = ("enqueued", "running")


@dataclasses.dataclass
class Own:
    """A database of this module alone, on which each test runs the Postgres broker `yiwang up` runs: its queues
    hold only this module's messages."""

    settings: Settings
    pool: asyncpg.Pool


@pytest.fixture(scope="module")
async def own(service_urls: dict[str, str], settings: Settings) -> AsyncIterator[Own]:
    url = await create_database(service_urls["database"])
    own_settings = dataclasses.replace(settings, database_url=url, broker_url=None)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=5)
    await migrate(pool)
    await ensure_broker_schema(pool, own_settings)
    yield Own(own_settings, pool)
    await pool.close()


@contextmanager
def postgres_broker(own: Own, inspection: Body) -> Iterator[dramatiq.Broker]:
    """The Postgres broker with the real job declarations on it, the inspections' body replaced."""
    broker = build_broker(own.settings)
    inspections = (INSPECT_SITE, INSPECT_SITE_ASKED)
    jobs = [dataclasses.replace(j, body=inspection) if j.actor in inspections else j for j in JOBS]
    declare_actors(broker, jobs=jobs, settings=own.settings)
    try:
        yield broker
    finally:
        broker.close()


@contextmanager
def working(broker: dramatiq.Broker, *, threads: int) -> Iterator[None]:
    w = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    w.start()
    try:
        yield
    finally:
        w.stop()


def now_of(read: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """A probe for `eventually` of what worker threads change."""

    async def probe() -> T:
        return read()

    return probe


async def runs(pool: asyncpg.Pool, site: str) -> list[tuple[str, str, str | None]]:
    return [(r["message_id"], r["state"], r["error"]) for r in await pool.fetch(RUNS, site)]


async def test_a_failed_inspection_stays_in_flight_while_dramatiq_retries_it(own: Own) -> None:
    """Marked failed at its first error, the run read as over while dramatiq still retried it, and a runInspection
    meanwhile queued a second inspection beside the retry. Now it is queued again (with the error) until its last
    attempt fails; only then is it failed, and a request queues a new one."""
    site = "jr-retried"
    attempts: list[Attempt | None] = []

    async def failing(settings: Settings, site_id: str, *, attempt: Attempt | None = None) -> None:
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
        try:
            async with job_running(pool, attempt, system_clock):
                attempts.append(attempt)
                raise RuntimeError(f"the inspection of {site_id} broke")
        finally:
            await pool.close()

    with postgres_broker(own, failing) as broker:
        asked = await request_job(own.pool, broker, INSPECT_SITE, site, system_clock())
        with working(broker, threads=1):
            await eventually(now_of(lambda: len(attempts)), lambda n: n >= 1, what="the first attempt")
            retrying = await eventually(lambda: runs(own.pool, site), lambda r: r[0][2] is not None)
            # queued again for the retry (or, on a slow machine, the retry already running): in flight, not failed
            [(message_id, state, error)] = retrying
            assert (message_id, error) == (asked.message_id, f"RuntimeError: the inspection of {site} broke")
            assert state in IN_FLIGHT, retrying
            again = await request_job(own.pool, broker, INSPECT_SITE, site, system_clock())
            assert again.message_id == asked.message_id and again.state in IN_FLIGHT, "the retry answers it"
            final = await eventually(
                lambda: runs(own.pool, site), lambda r: r[0][1] == "failed", timeout=60, what="the last attempt"
            )
    assert [a.retries_left if a else None for a in attempts] == [2, 1, 0]
    assert {a.message_id for a in attempts if a} == {asked.message_id}
    assert final == [(asked.message_id, "failed", f"RuntimeError: the inspection of {site} broke")]
    after = await request_job(own.pool, StubBroker(), INSPECT_SITE, site, system_clock())
    assert after.message_id != asked.message_id, "once it has failed for good, a request queues a new one"


async def test_an_inspection_asked_for_runs_ahead_of_the_queued_ones(own: Own) -> None:
    """A fresh `yiwang up` queues an inspection of every disclosure unit (about 3,200) on `checks`; one asked for
    by hand went behind them all. It now goes to the `asked` queue, whose actor the worker runs first."""
    backlog = 400  # about 6 s of work for two threads: by hand, without the `asked` queue, it ran 401st
    ran: list[str] = []
    lock = threading.Lock()

    async def recorded(settings: Settings, site_id: str, *, attempt: Attempt | None = None) -> None:
        with lock:
            ran.append(site_id)
        await asyncio.sleep(0.03)

    with postgres_broker(own, recorded) as broker:
        for i in range(backlog):
            await enqueue(own.pool, broker, INSPECT_SITE, f"unit-{i:012d}", system_clock())
        asked = await request_job(own.pool, broker, INSPECT_SITE, "jr-asked", system_clock())
        assert asked.state == "enqueued"
        started = time.monotonic()
        with working(broker, threads=2):
            await eventually(now_of(lambda: list(ran)), lambda r: "jr-asked" in r, timeout=60, what="the asked one")
            waited = time.monotonic() - started
            position = ran.index("jr-asked")
        await own.pool.execute("delete from dramatiq.queue where state in ('queued', 'consumed')")  # the backlog
    # ahead of all but the few the `checks` consumer had fetched before the `asked` one's first poll (0.5 s on a
    # loaded machine: 2 threads x 0.03 s); without the `asked` queue it ran last
    assert position < backlog // 8, f"the asked inspection ran {position + 1}th, after {waited:.2f} s, of {backlog + 1}"


class Stalled(StubBroker):
    """A broker whose send waits until let go, as one under load does."""

    def __init__(self) -> None:
        super().__init__()
        self.sending, self.go = threading.Event(), threading.Event()

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> dramatiq.Message[Any]:
        self.sending.set()
        self.go.wait(30)
        return super().enqueue(message, delay=delay)


async def test_a_request_cancelled_while_sending_keeps_its_row(pg_pool: asyncpg.Pool) -> None:
    """A runInspection whose client went away after the row's commit deleted the row while the send went on: the
    inspection ran unrecorded, and the next request queued a second one. The request now finishes what it began."""
    site, broker = "jr-cancelled", Stalled()
    request = asyncio.create_task(request_job(pg_pool, broker, INSPECT_SITE, site, system_clock()))
    await asyncio.to_thread(broker.sending.wait, 30)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    broker.go.set()
    await eventually(now_of(lambda: broker.queues["asked"].qsize()), lambda n: n == 1, what="the message sent")
    [(message_id, state, _)] = await eventually(lambda: runs(pg_pool, site))
    assert state == "enqueued"
    again = await request_job(pg_pool, broker, INSPECT_SITE, site, system_clock())
    assert again.message_id == message_id and broker.queues["asked"].qsize() == 1, "it answers the job sent"


async def test_a_finished_run_marks_only_its_own_row(pg_pool: asyncpg.Pool) -> None:
    """Two inspections of one site in flight (the day's, and one after a crawl): the first to finish marked both
    done, so a request read the site as idle while the second still ran, and queued a third."""
    site, broker = "jr-side-by-side", StubBroker()
    daily = await enqueue(pg_pool, broker, INSPECT_SITE, site, system_clock())
    crawled = await enqueue(pg_pool, broker, INSPECT_SITE, site, system_clock())
    async with job_running(pg_pool, Attempt(crawled, 2), system_clock):
        async with job_running(pg_pool, Attempt(daily, 2), system_clock):
            pass
        assert [(m, s) for m, s, _ in await runs(pg_pool, site)] == [(daily, "done"), (crawled, "running")]
        asked = await request_job(pg_pool, broker, INSPECT_SITE, site, system_clock())
        assert (asked.message_id, asked.state) == (crawled, "running"), "it answers the run still going"
    assert [s for _, s, _ in await runs(pg_pool, site)] == ["done", "done"]


@pytest.mark.parametrize("interruption", [TimeLimitExceeded, asyncio.CancelledError])
async def test_an_interrupted_last_attempt_is_failed_not_running(
    pg_pool: asyncpg.Pool, interruption: type[BaseException]
) -> None:
    """dramatiq's time limit raises TimeLimitExceeded in the worker's thread: inside the body, or in the event loop,
    which then cancels the body. Either way the last attempt's row stayed `running`, and runInspection answered the
    dead job for an hour; an attempt dramatiq retries is queued again."""
    site, broker = f"jr-interrupted-{interruption.__name__}", StubBroker()
    last = await enqueue(pg_pool, broker, INSPECT_SITE, site, system_clock())
    with pytest.raises(interruption):
        async with job_running(pg_pool, Attempt(last, 0), system_clock):
            raise interruption("time limit exceeded")
    assert [(m, s) for m, s, _ in await runs(pg_pool, site)] == [(last, "failed")]
    again = await request_job(pg_pool, broker, INSPECT_SITE, site, system_clock())
    assert again.message_id != last, "a new inspection is queued"
    with pytest.raises(interruption):
        async with job_running(pg_pool, Attempt(again.message_id, 1), system_clock):
            raise interruption("time limit exceeded")
    answered = await request_job(pg_pool, broker, INSPECT_SITE, site, system_clock())
    assert (answered.message_id, answered.state) == (again.message_id, "enqueued"), "the retry is in flight"

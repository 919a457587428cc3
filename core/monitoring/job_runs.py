"""Monitoring jobs asked for by hand: one in flight per site and job, its state kept in job_runs by the worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import dramatiq

from core.clock import Clock
from core.jobs import enqueue, job_message

# A job recorded as queued or running for longer than this is taken as lost (a worker killed mid-run, a broker
# that lost its queue): asking again then queues a new one instead of answering a job that will never finish.
IN_FLIGHT_FOR = timedelta(hours=1)


def in_flight(since: str) -> str:
    """The condition on a job_runs row `j` of a job in flight: queued or running, and not lost (queued or started
    after `since`, a placeholder for the time IN_FLIGHT_FOR ago); for the scheduler too (core.monitoring.schedule)."""
    return (
        "j.state in ('enqueued', 'running') and j.message_id is not null"
        f" and coalesce(j.started_at, j.enqueued_at) > {since}"
    )


IN_FLIGHT = f"""
select message_id, state, enqueued_at from job_runs j
where actor = $1 and key = $2 and {in_flight("$3")}
order by enqueued_at desc, id desc limit 1"""


@dataclass(frozen=True)
class JobRun:
    """A job in flight: its message id, whether it is enqueued or running, when it was queued."""

    message_id: str
    state: str
    enqueued_at: datetime


async def request_job(
    pool: asyncpg.Pool, broker: dramatiq.Broker, actor: tuple[str, str], key: str, now: datetime
) -> JobRun:
    """The job of `actor` for `key` already queued or running, else a new one, recorded (committed), then sent.
    Requests for one key wait on each other (a transaction's advisory lock), so concurrent requests queue one job
    between them: the second finds the first's row once it commits."""
    message = job_message(actor, key)
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute(
                "select pg_advisory_xact_lock(hashtext('job-request:' || $1 || ':' || $2))", actor[0], key
            )
            row = await conn.fetchrow(IN_FLIGHT, actor[0], key, now - IN_FLIGHT_FOR)
            if row is not None:
                return JobRun(row["message_id"], row["state"], row["enqueued_at"])
            # recorded before it is sent, under the id it will have: the worker always finds the row it marks
            await conn.execute(
                "insert into job_runs (actor, key, message_id, enqueued_at) values ($1, $2, $3, $4)",
                actor[0],
                key,
                str(message.message_id),
                now,
            )
        try:
            message_id = await asyncio.to_thread(enqueue, broker, message)
        except BaseException:
            await conn.execute("delete from job_runs where message_id = $1", str(message.message_id))
            raise
    return JobRun(message_id, "enqueued", now)


@contextlib.asynccontextmanager
async def job_running(pool: asyncpg.Pool, actor: tuple[str, str], key: str, clock: Clock) -> AsyncIterator[None]:
    """Mark the queued runs of `actor` for `key` running while the body runs, then done, or failed with the error:
    this run answers every request made before it started (and those made while it runs, answered with it).
    An interruption (a time limit, a stop) leaves them running for the retry to finish, or IN_FLIGHT_FOR to expire."""
    await pool.execute(
        "update job_runs set state = 'running', started_at = $3 where actor = $1 and key = $2 and state = 'enqueued'",
        actor[0],
        key,
        clock(),
    )
    finish = """update job_runs set state = $3, finished_at = $4, error = $5
                where actor = $1 and key = $2 and state = 'running'"""
    try:
        yield
    except Exception as exc:
        await pool.execute(finish, actor[0], key, "failed", clock(), f"{type(exc).__name__}: {exc}"[:500])
        raise
    await pool.execute(finish, actor[0], key, "done", clock(), None)

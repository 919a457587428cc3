"""Monitoring jobs asked for by hand: one in flight per site and job, its state kept in job_runs by the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg
import dramatiq

from core.clock import Clock
from core.jobs import Attempt, asked_for, enqueue, job_message
from core.locks import Lock

log = logging.getLogger(__name__)
T = TypeVar("T")

# A job recorded as queued or running for longer than this is taken as lost (a worker killed mid-run, a broker
# that lost its queue): asking again then queues a new one instead of answering a job that will never finish.
IN_FLIGHT_FOR = timedelta(hours=1)


def in_flight(since: str) -> str:
    """The condition on a job_runs row `j` of a job in flight: queued (a failed run dramatiq retries is queued again)
    or running, and not lost (queued or started after `since`, a placeholder for the time IN_FLIGHT_FOR ago); for the
    scheduler too (core.monitoring.schedule)."""
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
    """The job of `actor` for `key` already queued or running, else a new one, recorded (committed), then sent to the
    actor for jobs asked for by hand (core.jobs.asked_for: ahead of the scheduler's). Requests for one key wait on
    each other (a transaction's advisory lock), so concurrent requests queue one job between them: the second finds
    the first's row once it commits. A caller cancelled meanwhile does not stop it half way (`to_the_end`)."""
    return await to_the_end(_request_job(pool, broker, actor, key, now))


async def _request_job(
    pool: asyncpg.Pool, broker: dramatiq.Broker, actor: tuple[str, str], key: str, now: datetime
) -> JobRun:
    message = job_message(asked_for(actor), key)
    async with pool.acquire() as conn, conn.transaction():
        await Lock.JOB_REQUEST.hold(conn, f"{actor[0]}:{key}")
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
    return JobRun(await send_recorded(pool, broker, message), "enqueued", now)


async def send_recorded(pool: asyncpg.Pool, broker: dramatiq.Broker, message: dramatiq.Message[object]) -> str:
    """Send a job whose job_runs row is committed; returns its message id. Only a send the broker failed deletes the
    row (the job is then not in flight, and asked for again at once): an interruption (a cancellation, a process
    stopping) leaves it, as the message may be out already and its worker marks that row."""
    try:
        return await asyncio.to_thread(enqueue, broker, message)
    except Exception:
        await pool.execute("delete from job_runs where message_id = $1", str(message.message_id))
        raise


_RUNNING: set[asyncio.Task[Any]] = set()


async def to_the_end(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` as a task a cancelled caller does not cancel: a request whose client went away between the row's
    commit and the send (or during the send) still sends, so its row and its message agree."""
    task = asyncio.ensure_future(work)
    _RUNNING.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


def _finished(task: asyncio.Task[Any]) -> None:
    _RUNNING.discard(task)
    if not task.cancelled() and task.exception() is not None:  # retrieved: the caller may be gone
        log.debug("job request ended with an error", extra={"error": repr(task.exception())})


@contextlib.asynccontextmanager
async def job_running(pool: asyncpg.Pool, attempt: Attempt | None, clock: Clock) -> AsyncIterator[None]:
    """Mark the job_runs row of the message being run (`attempt`) running while the body runs, then done; on an error
    or an interruption (dramatiq's time limit raised in the worker's thread, or the cancellation it leaves when it
    strikes the event loop), queued again while dramatiq retries the message (still in flight: a request meanwhile
    answers it), failed with the error once it will not. Before, an interrupted last attempt stayed `running`, and
    `runInspection` answered that dead job for IN_FLIGHT_FOR. Only that message's row: another queued or running job
    of the same key is its own worker's to mark. No attempt (the body called outside a worker) marks nothing."""
    if attempt is None:
        yield
        return
    await pool.execute(
        "update job_runs set state = 'running', started_at = $2 where message_id = $1", attempt.message_id, clock()
    )
    try:
        yield
    except BaseException as exc:
        await _mark_failed(pool, attempt, clock, exc)
        raise
    await pool.execute(FINISH, attempt.message_id, "done", clock(), None)


FINISH = "update job_runs set state = $2, finished_at = $3, error = $4 where message_id = $1"
MARK_WITHIN_S = 5.0  # an interrupted run's mark waits no longer than this on Postgres: the interruption goes on


async def _mark_failed(pool: asyncpg.Pool, attempt: Attempt, clock: Clock, exc: BaseException) -> None:
    """Queued again with the error while dramatiq retries, else failed; a mark that cannot be written in time is
    logged, never raised over the run's own error (the row then expires after IN_FLIGHT_FOR, as before)."""
    error = f"{type(exc).__name__}: {exc}"[:500]
    state, finished = ("enqueued", None) if attempt.retries_left > 0 else ("failed", clock())
    try:
        async with asyncio.timeout(MARK_WITHIN_S):
            await pool.execute(FINISH, attempt.message_id, state, finished, error)
    except Exception as failed:
        log.warning(
            "a job's failed run could not be marked",
            extra={"message_id": attempt.message_id, "error": repr(failed)},
        )

"""Dramatiq: commands that exactly one worker must carry out, on the Postgres broker by default."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg
import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries, TimeLimit

from core.errors import Invalid, Upstream
from core.locks import Lock
from core.settings import Settings

log = logging.getLogger(__name__)


def build_broker(settings: Settings) -> dramatiq.Broker:
    """The broker named by BROKER_URL (postgres://, redis://, amqp://), else the DATABASE_URL's Postgres."""
    url = settings.effective_broker_url
    if not url:
        raise Upstream("no BROKER_URL or DATABASE_URL: start the embedded services or set one")
    scheme = url.split(":", 1)[0]
    broker: dramatiq.Broker
    if scheme in ("postgres", "postgresql"):
        from dramatiq_postgres import PostgresBroker

        broker = PostgresBroker(url=url, results=False, poll_interval=0.5, **dead_worker_detection(settings))
    elif scheme in ("redis", "rediss"):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)
    elif scheme in ("amqp", "amqps"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    elif scheme == "stub":
        broker = StubBroker()
    else:
        raise Invalid(f"BROKER_URL scheme {scheme!r} is not supported: use postgresql://, redis:// or amqp://")
    for middleware in broker.middleware:
        if isinstance(middleware, TimeLimit):
            middleware.time_limit = settings.job_time_limit_s * 1000
        if isinstance(middleware, Retries):
            middleware.max_retries = settings.job_max_retries
            middleware.min_backoff = 2_000
            middleware.max_backoff = 300_000
    return broker


def dead_worker_detection(settings: Settings) -> dict[str, float]:
    """Postgres-broker timings that bound how long a killed worker's jobs wait before they run again.

    Each worker process writes a heartbeat every `timeout / 4` seconds; a live worker's upkeep (every
    `timeout / 4`, jittered by ±50 %) requeues the jobs of a worker whose heartbeat is older than `timeout`.
    A job of a worker killed with -9 therefore runs again within about 1.4 x JOB_WORKER_TIMEOUT_S, counted
    from when another worker (or the killed one, restarted by `yiwang up`) is consuming.
    """
    timeout = max(settings.job_worker_timeout_s, 2.0)
    return {"heartbeat_ttl": timeout, "heartbeat_interval": timeout / 4, "maintenance_interval": timeout / 4}


async def ensure_broker_schema(pool: asyncpg.Pool, settings: Settings) -> bool:
    """Create the dramatiq-postgres tables when the broker is Postgres; idempotent."""
    url = settings.effective_broker_url or ""
    if not url.startswith(("postgres://", "postgresql://")) or url != settings.database_url:
        return False
    from dramatiq_postgres import generate_init_sql

    async with pool.acquire() as conn, conn.transaction():
        await Lock.BROKER_SCHEMA.hold(conn)
        exists = await conn.fetchval("select to_regclass('dramatiq.queue')")
        if exists:
            return False
        await conn.execute(generate_init_sql())
    return True


async def queue_depth(pool: asyncpg.Pool) -> dict[str, int]:
    """Queued job messages per queue (Postgres broker), for /metrics."""
    if not await pool.fetchval("select to_regclass('dramatiq.queue')"):
        return {}
    rows = await pool.fetch(
        "select queue_name, count(*) as n from dramatiq.queue where state = 'queued' group by queue_name"
    )
    return {r["queue_name"]: int(r["n"]) for r in rows}


# Actor names and queues, declared here so any process can send a job without importing workers.
CRAWL_SITE = ("crawl_site", "crawl")
CHECK_LINKS = ("check_links", "checks")
PROBE_HOMEPAGE = ("probe_homepage", "checks")
INSPECT_SITE = ("inspect_site", "checks")
SYNC_HOTLINE = ("sync_hotline", "maintenance")  # 一网通答: the 12345 knowledge-base sync (core/qa/sync.py)
CHECK_DATA_LINKS = ("check_data_links", "checks")  # open data: linked resources' download links (docs/opendata.md)
REBUILD_QA_GRAPH = ("rebuild_qa_graph", "maintenance")  # 一网通答: the service graph rebuilt whole (docs/qa-graph.md)
# An inspection someone asked for (runInspection) and waits on: a queue of its own, whose actor the worker runs ahead
# of the scheduler's backlog (a fresh `yiwang up` queues thousands of unit inspections on `checks`).
INSPECT_SITE_ASKED = ("inspect_site_asked", "asked")
ASKED = {INSPECT_SITE: INSPECT_SITE_ASKED}


def asked_for(actor: tuple[str, str]) -> tuple[str, str]:
    """The actor a job asked for by hand is sent to: its own on the `asked` queue where there is one."""
    return ASKED.get(actor, actor)


@dataclass(frozen=True)
class Attempt:
    """One run of a job's message by a worker: the message id, and how many more times dramatiq runs the message if
    this run fails (its Retries middleware: the actor's max_retries less the retries so far)."""

    message_id: str
    retries_left: int


def job_message(actor: tuple[str, str], *args: object) -> dramatiq.Message[object]:
    """The message of a job, not yet sent: its id can be recorded first (core.monitoring.job_runs)."""
    name, queue = actor
    return dramatiq.Message(queue_name=queue, actor_name=name, args=tuple(args), kwargs={}, options={})


def enqueue(broker: dramatiq.Broker, message: dramatiq.Message[object], *, delay_ms: int | None = None) -> str:
    """Send a job's message; returns its id."""
    broker.declare_queue(message.queue_name)  # idempotent: a process that declared no actors (API, scheduler) may send
    broker.enqueue(message, delay=delay_ms)
    return str(message.message_id)


def send(broker: dramatiq.Broker, actor: tuple[str, str], *args: object, delay_ms: int | None = None) -> str:
    """Enqueue a job by actor name; returns the message id. Call it after the transaction that records it."""
    return enqueue(broker, job_message(actor, *args), delay_ms=delay_ms)

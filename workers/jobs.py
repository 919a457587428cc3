"""Every job a worker runs: its actor name and queue (from core.jobs), body and limits; declared on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage, Retries

from core.jobs import (
    CHECK_DATA_LINKS,
    CHECK_LINKS,
    CRAWL_SITE,
    INSPECT_SITE,
    INSPECT_SITE_ASKED,
    PROBE_HOMEPAGE,
    REBUILD_QA_GRAPH,
    SYNC_HOTLINE,
    Attempt,
)
from core.logs import message_id
from core.settings import Settings, get_settings
from workers import monitor, opendata_links, qa_graph, qa_sync
from workers.crawl import crawl_site

Body = Callable[..., Coroutine[Any, Any, None]]


@dataclass(frozen=True, kw_only=True)
class Job:
    """One kind of job: `body(settings, *ids)` does the work; `kind` prefixes the message id its logs carry. A body
    that keeps its runs in job_runs (`records_runs`) is given the message it runs too: `body(..., attempt=)`."""

    actor: tuple[str, str]
    body: Body
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    records_runs: bool = False

    def message_key(self, *ids: object) -> str:
        return f"{self.kind}:{ids[-1]}"  # the most specific id: the crawl id of a crawl, else the site id

    def run(self, *ids: object, settings: Settings | None = None, attempt: Attempt | None = None) -> None:
        """Run the body to completion in this (worker) thread, its logs bound to the message."""
        token = message_id.set(self.message_key(*ids))
        extra = {"attempt": attempt} if self.records_runs else {}
        try:
            asyncio.run(self.body(settings or get_settings(), *ids, **extra))
        finally:
            message_id.reset(token)


JOBS = (
    Job(actor=CRAWL_SITE, body=crawl_site, kind="crawl", options={"max_retries": 2}),
    # A failed probe is a measurement, not an error: it is not retried.
    Job(
        actor=PROBE_HOMEPAGE,
        body=monitor.probe_homepage,
        kind="probe",
        options={"max_retries": 0, "time_limit": 120_000},
    ),
    Job(actor=CHECK_LINKS, body=monitor.check_links, kind="links", options={"max_retries": 2}),
    Job(actor=INSPECT_SITE, body=monitor.inspect_site, kind="inspect", options={"max_retries": 2}, records_runs=True),
    # The same inspection asked for by hand (runInspection): its own queue, so the worker claims it at once however
    # long the `checks` backlog, and a higher priority (dramatiq's default is 0), so the next free thread runs it.
    Job(
        actor=INSPECT_SITE_ASKED,
        body=monitor.inspect_site,
        kind="inspect",
        options={"max_retries": 2, "priority": -10},
        records_runs=True,
    ),
    # 一网通答: the 12345 knowledge-base sync; a retry converges (the sync is idempotent), a conflict waits
    Job(actor=SYNC_HOTLINE, body=qa_sync.sync_hotline, kind="hotline-sync", options={"max_retries": 2}),
    # open data (回头看): linked resources' download links, then the open-data site inspected
    Job(actor=CHECK_DATA_LINKS, body=opendata_links.check_data_links, kind="data-links", options={"max_retries": 2}),
    # 一网通答: the service graph rebuilt whole on the scheduler's interval (mends a missed guide or policy change)
    Job(actor=REBUILD_QA_GRAPH, body=qa_graph.rebuild_qa_graph, kind="qa-graph", options={"max_retries": 2}),
)


def attempt_of(broker: dramatiq.Broker, message: dramatiq.Message[Any] | None) -> Attempt | None:
    """The attempt `message` is, as the Retries middleware will judge its failure: it runs the message again while
    its retries so far are fewer than its max_retries (the message's, else the actor's, else the middleware's)."""
    if message is None:
        return None
    retries = next((m for m in broker.middleware if isinstance(m, Retries)), None)
    if retries is None:  # without the middleware nothing is retried
        return Attempt(str(message.message_id), 0)
    actor = broker.get_actor(message.actor_name)
    most = message.options.get("max_retries", actor.options.get("max_retries", retries.max_retries))
    if most is None:  # no limit
        return Attempt(str(message.message_id), 1)
    return Attempt(str(message.message_id), max(int(most) - int(message.options.get("retries", 0)), 0))


def _entry(job: Job, broker: dramatiq.Broker, settings: Settings | None) -> Callable[..., None]:
    def entry(*ids: Any) -> None:
        job.run(*ids, settings=settings, attempt=attempt_of(broker, CurrentMessage.get_current_message()))

    entry.__name__ = entry.__qualname__ = job.actor[0]
    entry.__doc__ = job.body.__doc__
    return entry


def declare_actors(
    broker: dramatiq.Broker, *, jobs: Iterable[Job] = JOBS, settings: Settings | None = None
) -> dict[str, dramatiq.Actor[Any, None]]:
    """Declare every job as an actor on `broker`; the worker process does this once its broker is built. Bodies run
    with `settings` (the process's by default) and see the message they run (dramatiq's CurrentMessage)."""
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())
    actors: dict[str, dramatiq.Actor[Any, None]] = {}
    for job in jobs:
        name, queue = job.actor
        declare = dramatiq.actor(actor_name=name, queue_name=queue, broker=broker, **job.options)
        actors[name] = declare(_entry(job, broker, settings))
    return actors

"""Every job a worker runs: its actor name and queue (from core.jobs), body and limits; declared on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import dramatiq

from core.jobs import (
    CHECK_DATA_LINKS,
    CHECK_LINKS,
    CRAWL_SITE,
    INSPECT_SITE,
    PROBE_HOMEPAGE,
    REBUILD_QA_GRAPH,
    SYNC_HOTLINE,
)
from core.logs import message_id
from core.settings import Settings, get_settings
from workers import monitor, opendata_links, qa_graph, qa_sync
from workers.crawl import crawl_site

Body = Callable[..., Coroutine[Any, Any, None]]


@dataclass(frozen=True, kw_only=True)
class Job:
    """One kind of job: `body(settings, *ids)` does the work; `kind` prefixes the message id its logs carry."""

    actor: tuple[str, str]
    body: Body
    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    def message_key(self, *ids: object) -> str:
        return f"{self.kind}:{ids[-1]}"  # the most specific id: the crawl id of a crawl, else the site id

    def run(self, *ids: object, settings: Settings | None = None) -> None:
        """Run the body to completion in this (worker) thread, its logs bound to the message."""
        token = message_id.set(self.message_key(*ids))
        try:
            asyncio.run(self.body(settings or get_settings(), *ids))
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
    Job(actor=INSPECT_SITE, body=monitor.inspect_site, kind="inspect", options={"max_retries": 2}),
    # 一网通答: the 12345 knowledge-base sync; a retry converges (the sync is idempotent), a conflict waits
    Job(actor=SYNC_HOTLINE, body=qa_sync.sync_hotline, kind="hotline-sync", options={"max_retries": 2}),
    # open data (回头看): linked resources' download links, then the open-data site inspected
    Job(actor=CHECK_DATA_LINKS, body=opendata_links.check_data_links, kind="data-links", options={"max_retries": 2}),
    # 一网通答: the service graph rebuilt whole on the scheduler's interval (mends a missed guide or policy change)
    Job(actor=REBUILD_QA_GRAPH, body=qa_graph.rebuild_qa_graph, kind="qa-graph", options={"max_retries": 2}),
)


def _entry(job: Job) -> Callable[..., None]:
    def entry(*ids: Any) -> None:
        job.run(*ids)

    entry.__name__ = entry.__qualname__ = job.actor[0]
    entry.__doc__ = job.body.__doc__
    return entry


def declare_actors(broker: dramatiq.Broker) -> dict[str, dramatiq.Actor[Any, None]]:
    """Declare every job as an actor on `broker`; the worker process does this once its broker is built."""
    actors: dict[str, dramatiq.Actor[Any, None]] = {}
    for job in JOBS:
        name, queue = job.actor
        declare = dramatiq.actor(actor_name=name, queue_name=queue, broker=broker, **job.options)
        actors[name] = declare(_entry(job))
    return actors

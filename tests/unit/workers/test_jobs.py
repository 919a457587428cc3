"""Worker jobs: every job is declared on the broker it is given, and importing workers needs no broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dramatiq.brokers.stub import StubBroker

from core.jobs import (
    CHECK_DATA_LINKS,
    CHECK_LINKS,
    CRAWL_SITE,
    INSPECT_SITE,
    INSPECT_SITE_ASKED,
    PROBE_HOMEPAGE,
    REBUILD_QA_GRAPH,
    SYNC_HOTLINE,
)
from core.logs import message_id
from core.settings import Settings
from workers.jobs import Job, declare_actors

ROOT = Path(__file__).resolve().parents[3]
SERVICE_VARS = ("DATABASE_URL", "NATS_URL", "BROKER_URL")


def test_every_job_is_declared_on_the_given_broker_with_its_queue_and_limits() -> None:
    broker = StubBroker()
    try:
        actors = declare_actors(broker)
        every = (
            CRAWL_SITE,
            PROBE_HOMEPAGE,
            CHECK_LINKS,
            INSPECT_SITE,
            INSPECT_SITE_ASKED,
            SYNC_HOTLINE,
            CHECK_DATA_LINKS,
            REBUILD_QA_GRAPH,
        )
        assert set(broker.get_declared_actors()) == {a[0] for a in every}
        for name, queue in every:
            assert actors[name].queue_name == queue
        assert actors[PROBE_HOMEPAGE[0]].options["max_retries"] == 0, "a failed probe is a measurement"
        assert actors[CRAWL_SITE[0]].options["max_retries"] == 2
        asked, scheduled = actors[INSPECT_SITE_ASKED[0]], actors[INSPECT_SITE[0]]
        assert asked.priority < scheduled.priority, "an inspection asked for by hand runs first"
    finally:
        broker.close()


def test_a_job_runs_its_body_with_the_message_id_bound() -> None:
    seen: list[tuple[object, ...]] = []

    async def body(settings: Settings, site_id: str, crawl_id: int) -> None:
        seen.append((settings.job_max_retries, site_id, crawl_id, message_id.get()))

    Job(actor=CRAWL_SITE, body=body, kind="crawl").run("demo-portal", 7, settings=Settings(job_max_retries=4))
    assert seen == [(4, "demo-portal", 7, "crawl:7")]
    assert message_id.get() is None, "the id is unbound after the job"


def test_importing_workers_needs_no_broker_and_no_service_urls() -> None:
    code = (
        "import dramatiq.broker, workers.monitor, workers.scheduler, workers.jobs, workers.runtime, ops.cli.procs\n"
        "assert dramatiq.broker.global_broker is None, 'an import set the dramatiq broker'\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]

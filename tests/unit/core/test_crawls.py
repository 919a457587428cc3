"""A crawl's derived numbers: pages per second from its start to its finish (or to now while it runs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.crawls import INTERRUPTED, Crawl, failure_message

T0 = datetime(2031, 1, 1, 8, 0, tzinfo=UTC)
QUEUED = Crawl(
    id=1,
    site_id="demo",
    trigger="manual",
    state="queued",
    queued_at=T0,
    started_at=None,
    finished_at=None,
    pages_fetched=0,
    pages_changed=0,
    errors=0,
    queued=0,
    message=None,
)


def test_no_rate_before_the_crawl_started_or_fetched_anything() -> None:
    assert QUEUED.pages_per_second() is None
    assert replace(QUEUED, state="running", started_at=T0).pages_per_second(T0 + timedelta(seconds=5)) is None


def test_rate_runs_to_now_while_running_and_to_the_finish_once_done() -> None:
    running = replace(QUEUED, state="running", started_at=T0, pages_fetched=30)
    assert running.pages_per_second(T0 + timedelta(seconds=10)) == 3.0
    done = replace(running, state="done", finished_at=T0 + timedelta(seconds=4))
    assert done.pages_per_second(T0 + timedelta(hours=1)) == 7.5


def test_a_failed_crawl_keeps_why_it_stopped() -> None:
    assert failure_message(KeyboardInterrupt()) == INTERRUPTED
    assert failure_message(RuntimeError("x" * 1000)).startswith("RuntimeError('xxx")
    assert len(failure_message(RuntimeError("x" * 1000))) == 500

"""A crawl's derived numbers: pages per second from its start to its finish (or to now while it runs)."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp

from core.crawls import INTERRUPTED, Crawl, failure_message
from core.errors import Upstream

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


def test_a_failed_crawl_keeps_the_class_of_failure_never_its_text() -> None:
    """crawlStatus.message is public: an exception's text (addresses, paths, SQL, secrets) stays in the logs."""
    secret = "postgresql://postgres:hunter2@10.0.0.5:5432 /srv/yiwang"
    assert failure_message(KeyboardInterrupt()) == INTERRUPTED
    assert failure_message(TimeoutError(secret)) == "timeout"
    assert failure_message(ConnectionRefusedError(111, secret)).startswith("site unreachable")
    assert failure_message(socket.gaierror(-2, secret)) == "site unreachable: its name does not resolve"
    assert failure_message(OSError(113, secret)) == "network error"
    assert failure_message(Upstream(secret)).startswith("a platform service was unavailable")
    unexpected = failure_message(RuntimeError(secret))
    assert re.fullmatch(r"internal error \(id [0-9a-f]{12}\)", unexpected)
    assert unexpected != failure_message(RuntimeError(secret)), "each unexpected failure gets its own id"


def test_a_wrapped_connector_error_is_classified_by_its_cause() -> None:
    """aiohttp's ClientConnectorError carries the OSError as `os_error` (its own text names the address)."""
    key = aiohttp.client_reqrep.ConnectionKey("10.0.0.5", 80, False, True, None, None, None)
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))
    assert failure_message(refused).startswith("site unreachable")
    assert "10.0.0.5" not in failure_message(refused)

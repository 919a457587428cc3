"""Broker selection by URL scheme, and JSON log lines with bound request and message ids."""

from __future__ import annotations

import json
import logging

import pytest
from dramatiq.middleware import Retries, TimeLimit

from core.errors import Invalid, Upstream
from core.jobs import build_broker
from core.logs import JsonFormatter, message_id, request_id
from core.settings import Settings


@pytest.mark.parametrize(
    ("url", "cls"),
    [
        ("postgresql://u@127.0.0.1:1/db", "PostgresBroker"),
        ("redis://127.0.0.1:1/0", "RedisBroker"),
        ("amqp://guest:guest@127.0.0.1:1/", "RabbitmqBroker"),
    ],
)
def test_broker_follows_the_url_scheme_with_our_limits(url: str, cls: str) -> None:
    broker = build_broker(Settings(broker_url=url, job_time_limit_s=60, job_max_retries=3))
    try:
        assert type(broker).__name__ == cls
        limits = {type(m): m for m in broker.middleware}
        assert limits[TimeLimit].time_limit == 60_000
        assert limits[Retries].max_retries == 3
    finally:
        broker.close()


def test_dead_worker_detection_follows_job_worker_timeout() -> None:
    broker = build_broker(Settings(broker_url="postgresql://u@127.0.0.1:1/db", job_worker_timeout_s=8))
    try:
        timings = (broker.heartbeat_ttl, broker.heartbeat_interval, broker.maintenance_interval)  # type: ignore[attr-defined]
        assert timings == (8, 2, 2), "a killed worker's jobs run again within about 1.4 x 8 s"
    finally:
        broker.close()


def test_unknown_or_missing_broker_is_a_clear_error() -> None:
    with pytest.raises(Invalid, match="scheme 'kafka' is not supported"):
        build_broker(Settings(broker_url="kafka://x"))
    with pytest.raises(Upstream, match="no BROKER_URL or DATABASE_URL"):
        build_broker(Settings())


def test_json_log_lines_carry_ids_and_extras() -> None:
    record = logging.LogRecord("core.x", logging.WARNING, __file__, 1, "crawl %s failed", ("demo",), None)
    record.site = "demo-portal"
    r, m = request_id.set("req-1"), message_id.set("page:http://a/")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(r)
        message_id.reset(m)
    assert line["msg"] == "crawl demo failed" and line["level"] == "WARNING" and line["site"] == "demo-portal"
    assert line["request_id"] == "req-1" and line["message_id"] == "page:http://a/"

"""Prometheus metrics of an API process, plus platform gauges (consumer lag, job queues) read at scrape time."""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.bus import STREAMS, consumer_lag
from core.jobs import queue_depth
from core.services import Services

log = logging.getLogger(__name__)
CONSUMERS = {"indexer": "YW_CRAWL", "search-projector": "YW_DOC", "analytics": "YW_SEARCH"}


class Metrics:
    """One registry per app, so tests can build several apps in one process."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.latency = Histogram(
            "yw_http_request_seconds", "HTTP request latency", ["method", "route", "status"], registry=r
        )
        self.errors = Counter("yw_http_errors_total", "HTTP 5xx responses", ["route"], registry=r)
        self.lag = Gauge("yw_consumer_pending", "Events not yet delivered to a consumer", ["consumer"], registry=r)
        self.unacked = Gauge("yw_consumer_ack_pending", "Events delivered, not yet acked", ["consumer"], registry=r)
        self.consumed = Gauge(
            "yw_consumer_delivered_seq", "Stream sequence delivered to a consumer", ["consumer"], registry=r
        )
        self.stream_msgs = Gauge("yw_stream_messages", "Messages held by a stream", ["stream"], registry=r)
        self.jobs = Gauge("yw_jobs_queued", "Jobs waiting in a dramatiq queue", ["queue"], registry=r)
        self.documents = Gauge("yw_documents", "Documents stored (not gone)", registry=r)

    async def refresh(self, services: Services) -> None:
        """Read the platform gauges; a part that cannot be read is skipped, not fatal for the scrape."""
        try:
            for name, stream in CONSUMERS.items():
                try:
                    lag = await consumer_lag(services.bus, stream, name)
                except Exception:  # consumer not created yet
                    continue
                self.lag.labels(name).set(lag["pending"])
                self.unacked.labels(name).set(lag["ack_pending"])
                self.consumed.labels(name).set(lag["delivered"])
            for stream in STREAMS:
                info = await services.bus.js.stream_info(stream)
                self.stream_msgs.labels(stream).set(info.state.messages)
        except Exception as exc:
            log.warning("metrics: nats not readable", extra={"error": repr(exc)})
        try:
            for queue, n in (await queue_depth(services.pool)).items():
                self.jobs.labels(queue).set(n)
            self.documents.set(await services.pool.fetchval("select count(*) from live_documents"))
        except Exception as exc:
            log.warning("metrics: postgres not readable", extra={"error": repr(exc)})

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request by route (the path's first segment, so cardinality stays small)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = "/" + scope["path"].strip("/").split("/", 1)[0]
            self.metrics.latency.labels(scope["method"], route, str(status)).observe(time.perf_counter() - start)
            if status >= 500:
                self.metrics.errors.labels(route).inc()

"""Prometheus metrics of an API process, plus platform gauges (consumer lag, job queues) read at scrape time."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import uvicorn
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.bus import STREAMS, consumer_lag
from core.bus.fanout import FanoutStats
from core.errors import Conflict
from core.jobs import queue_depth
from core.services import Services

log = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]
CONSUMERS = {
    "indexer": "YW_CRAWL",
    "indexer-imports": "YW_CRAWL",
    "search-projector": "YW_DOC",
    "policy-library": "YW_DOC",
    "analytics": "YW_SEARCH",
    "content-analytics": "YW_DOC",
    "applications": "YW_USER",
}
# Label values are bounded: any other path is "other", any other method is "other" (no series per probe).
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics", "/beacon/pv"})
METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS"})


def route_label(path: str) -> str:
    return path if path in ROUTES else "other"


def method_label(method: str) -> str:
    return method if method in METHODS else "other"


class LiveCollector:
    """This process' live fan-out (core.bus.fanout), read at each scrape: shared NATS subscriptions, listeners,
    events decoded and handed over, listeners ended with SLOW_CONSUMER."""

    def __init__(self) -> None:
        self.stats: FanoutStats | None = None

    def collect(self) -> Iterator[Metric]:
        s = self.stats
        if s is None:
            return
        yield GaugeMetricFamily("yw_live_subscriptions", "NATS subscriptions shared by live feeds", s.subscriptions)
        yield GaugeMetricFamily("yw_live_listeners", "Live feeds (GraphQL subscriptions and others) open", s.listeners)
        yield CounterMetricFamily("yw_live_events", "Live events decoded, once each however many hear them", s.decoded)
        yield CounterMetricFamily("yw_live_deliveries", "Live events handed to a listener", s.delivered)
        yield CounterMetricFamily("yw_live_cut_off", "Live feeds ended for falling behind (SLOW_CONSUMER)", s.cut_off)


class GcPauses:
    """How long the cyclic garbage collector stopped this process, by generation (`gc.callbacks`). A collection
    of the oldest generation walks every tracked object of the heap — millions in an API process holding its
    vocabulary and title index — and every request in flight waits for it. Process-wide: one per process."""

    BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

    def __init__(self) -> None:
        self.counts = {g: [0] * (len(self.BOUNDS) + 1) for g in range(3)}
        self.sums = dict.fromkeys(range(3), 0.0)
        self._started = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        generation = info["generation"]
        self.counts[generation][bisect.bisect_left(self.BOUNDS, took)] += 1
        self.sums[generation] += took

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "yw_gc_pause_seconds", "Pauses of the garbage collector, by generation", labels=["generation"]
        )
        for generation, counts in self.counts.items():
            cumulative, buckets = 0, []
            for bound, n in zip((*map(str, self.BOUNDS), "+Inf"), counts, strict=True):
                cumulative += n
                buckets.append((bound, cumulative))
            family.add_metric([str(generation)], buckets, self.sums[generation])
        yield family
        # core.heap freezes built indexes: a count that climbs between rebuilds would be garbage kept for good
        yield GaugeMetricFamily(
            "yw_gc_frozen_objects", "Objects moved out of the collector's reach", gc.get_freeze_count()
        )


GC_PAUSES = GcPauses()


class Metrics:
    """One registry per app, so tests can build several apps in one process; the platform gauges are re-read
    at most once per `cache_s` (a scrape costs Postgres counts and NATS calls), however often it is scraped."""

    def __init__(self, *, cache_s: float = 15.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.cache_s = cache_s
        self.clock = clock
        self.read_at: float | None = None
        self.reading = asyncio.Lock()
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
        self.live = LiveCollector()
        r.register(self.live)
        GC_PAUSES.install()
        r.register(GC_PAUSES)

    async def refresh(self, services: Services) -> None:
        """The platform gauges, re-read when older than `cache_s`; scrapes arriving together share one read."""
        self.live.stats = services.bus.fanout.stats if services.bus.connected else None  # read fresh, no cost
        async with self.reading:
            if self.read_at is not None and self.clock() - self.read_at < self.cache_s:
                return
            await self.read(services)
            self.read_at = self.clock()

    async def read(self, services: Services) -> None:
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
    """Times every HTTP request by route: a known route, else "other" (so random paths add no series)."""

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
            route = route_label(scope["path"])
            method = method_label(scope["method"])
            self.metrics.latency.labels(method, route, str(status)).observe(time.perf_counter() - start)
            if status >= 500:
                self.metrics.errors.labels(route).inc()


class _SideServer(uvicorn.Server):
    """A second server in the API's process: the API's own server keeps the signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int) -> socket.socket:
    """Bound here, not by uvicorn: a port in use is an error we raise, not uvicorn's exit of the process."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise Conflict(f"METRICS_PORT {port} on {host} cannot be listened on: {exc.strerror}") from None
    return sock


@contextlib.asynccontextmanager
async def metrics_server(endpoint: Endpoint, *, host: str, port: int) -> AsyncIterator[None]:
    """Serve only /metrics on its own address (METRICS_PORT), for as long as the context lasts."""
    app = Starlette(routes=[Route("/metrics", endpoint)])
    # log_config=None: a second Config must not re-apply uvicorn's logging setup over the main server's
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False, log_config=None)
    server = _SideServer(config)
    # listening already: a scrape that comes before uvicorn has started waits in the backlog
    task = asyncio.create_task(server.serve(sockets=[_listen(host, port)]))
    log.info("metrics listening", extra={"metrics": f"http://{host}:{port}/metrics"})
    try:
        yield
    finally:
        server.should_exit = True
        await task

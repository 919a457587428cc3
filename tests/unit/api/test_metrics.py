"""/metrics as Prometheus scrapes it: request timings by route, 5xx counts, and platform gauges."""

from __future__ import annotations

import secrets

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from api.metrics import Metrics, MetricsMiddleware
from tests.unit.api.fakes import FakeJetStream, FakePool, services


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The scraped text, parsed back: (sample name, labels) → value."""
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def ok(request: Request) -> Response:
    return PlainTextResponse("ok")


async def broken(request: Request) -> Response:
    return PlainTextResponse("no", status_code=503)


async def test_requests_are_timed_by_known_route_and_5xx_counted() -> None:
    metrics = Metrics()
    routes = [Route("/graphql", ok), Route("/graphql/{rest:path}", ok), Route("/readyz", broken)]
    app = MetricsMiddleware(Starlette(routes=routes), metrics)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        for path in ("/graphql", "/graphql", "/graphql/c", "/readyz"):
            await client.get(path)
    got = samples(metrics)
    count = "yw_http_request_seconds_count"
    assert got[(count, (("method", "GET"), ("route", "/graphql"), ("status", "200")))] == 2
    assert got[(count, (("method", "GET"), ("route", "other"), ("status", "200")))] == 1
    assert got[(count, (("method", "GET"), ("route", "/readyz"), ("status", "503")))] == 1
    assert got[("yw_http_errors_total", (("route", "/readyz"),))] == 1
    assert ("yw_http_errors_total", (("route", "/graphql"),)) not in got


async def test_random_paths_and_methods_create_no_new_series() -> None:
    """The attack: 300 made-up paths and odd methods, each of which used to become a series of its own."""
    metrics = Metrics()
    app = MetricsMiddleware(Starlette(routes=[Route("/graphql", ok)]), metrics)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        await client.get("/graphql")
        for i in range(300):
            method = ("GET", "POST", f"X{i}", "PROPFIND")[i % 4]
            await client.request(method, f"/{secrets.token_hex(6)}/{i}")
    series = {labels for name, labels in samples(metrics) if name == "yw_http_request_seconds_count"}
    assert {tuple(v for _, v in labels) for labels in series} == {
        ("GET", "/graphql", "200"),
        ("GET", "other", "404"),
        ("POST", "other", "404"),
        ("other", "other", "404"),
    }


async def test_the_platform_gauges_are_read_at_most_once_per_cache_period() -> None:
    now = [100.0]
    metrics = Metrics(cache_s=15.0, clock=lambda: now[0])
    pool = FakePool(documents=1)
    for _ in range(20):  # 20 scrapes in the same moment: one count(*) on documents
        await metrics.refresh(services(pool=pool))
    assert pool.counts == 1 and samples(metrics)[("yw_documents", ())] == 1
    pool.documents = 2
    now[0] += 14.0
    await metrics.refresh(services(pool=pool))
    assert pool.counts == 1 and samples(metrics)[("yw_documents", ())] == 1
    now[0] += 1.5
    await metrics.refresh(services(pool=pool))
    assert pool.counts == 2 and samples(metrics)[("yw_documents", ())] == 2


async def test_platform_gauges_are_read_at_scrape_time() -> None:
    metrics = Metrics()
    pool = FakePool(documents=42, queued={"crawl": 3})
    await metrics.refresh(services(pool=pool, js=FakeJetStream(pending=5, messages=9)))
    got = samples(metrics)
    assert got[("yw_documents", ())] == 42
    assert got[("yw_jobs_queued", (("queue", "crawl"),))] == 3
    assert got[("yw_consumer_pending", (("consumer", "indexer"),))] == 5
    assert got[("yw_stream_messages", (("stream", "YW_DOC"),))] == 9
    assert (got[("yw_live_subscriptions", ())], got[("yw_live_listeners", ())]) == (2, 5), "the live fan-out's"


async def test_an_unreadable_nats_skips_its_gauges_and_keeps_the_rest() -> None:
    metrics = Metrics()
    await metrics.refresh(services(pool=FakePool(documents=7), js=FakeJetStream(broken=True)))
    got = samples(metrics)
    assert got[("yw_documents", ())] == 7
    assert not any(name == "yw_consumer_pending" for name, _ in got)


def test_garbage_collector_pauses_are_exposed_by_generation() -> None:
    import gc

    def full_collections(text: str) -> float:
        families = {f.name: f for f in text_string_to_metric_families(text)}
        samples = families["yw_gc_pause_seconds"].samples
        return next(s.value for s in samples if s.name.endswith("_count") and s.labels["generation"] == "2")

    metrics = Metrics()
    before = full_collections(metrics.render().decode())
    gc.collect()
    gc.collect()
    assert full_collections(metrics.render().decode()) == before + 2
    assert 'yw_gc_pause_seconds_bucket{generation="2",le="0.001"}' in metrics.render().decode()
    frozen = {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}["yw_gc_frozen_objects"]
    assert frozen.samples[0].value == gc.get_freeze_count()  # read as a number: past a million it prints as 1.1e+06

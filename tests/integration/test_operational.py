"""Operational doors of the public API, attacked over real HTTP: a malformed X-Request-Id, GraphiQL and
introspection where production turns them off, and a failed crawl's message as anonymous callers read it."""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest

from core.crawls import queue_crawl, run_crawl
from core.settings import Settings
from core.sites.service import Site
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site, site_record, unique
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration

INTROSPECTION = "{ __schema { queryType { name } } }"


async def raw_get(api_url: str, path: bytes, *header_lines: bytes) -> tuple[int, dict[bytes, bytes]]:
    """One HTTP/1.1 GET written byte for byte (no client library cleans the headers); status and headers."""
    url = urlsplit(api_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = [b"GET " + path + b" HTTP/1.1", b"Host: 127.0.0.1", *header_lines, b"Connection: close"]
    writer.write(b"\r\n".join(head) + b"\r\n\r\n")
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    await writer.wait_closed()
    status_line, *lines = response.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    headers = dict(line.lower().split(b": ", 1) for line in lines)
    return int(status_line.split()[1]), headers


async def test_a_non_utf8_request_id_gets_a_server_made_id_not_a_500(
    api_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="api.app"):
        status, headers = await raw_get(api_url, b"/healthz", b"X-Request-Id: \xff\xfe\x80evil")
    assert status == 200
    assert re.fullmatch(rb"[0-9a-f]{16}", headers[b"x-request-id"])
    logged = [r for r in caplog.records if hasattr(r, "rejected_request_id")]
    assert [r.__dict__["rejected_request_id"] for r in logged] == ["\\xff\\xfe\\x80evil"]
    status, headers = await raw_get(api_url, b"/healthz", b"X-Request-Id: trace-42")
    assert status == 200 and headers[b"x-request-id"] == b"trace-42", "a well-formed id is kept"


async def test_graphiql_and_introspection_are_on_by_default(api_url: str) -> None:
    async with aiohttp.ClientSession() as s, s.get(f"{api_url}/graphql", headers={"Accept": "text/html"}) as r:
        assert r.status == 200 and "graphiql" in (await r.text()).lower()
    body = await gql(api_url, INTROSPECTION, token=None)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_production_turns_graphiql_and_introspection_off(settings: Settings) -> None:
    async with serve_api(settings, graphql_ide=False, graphql_introspection=False) as url:
        async with aiohttp.ClientSession() as s, s.get(f"{url}/graphql", headers={"Accept": "text/html"}) as r:
            assert r.status == 404 and "graphiql" not in (await r.text()).lower()
        for query in (INTROSPECTION, '{ __type(name: "Query") { fields { name } } }'):
            body = await gql(url, query, token=None)
            assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
        body = await gql(url, "{ __typename sites { id } }", token=None)
        assert not body.get("errors") and body["data"]["__typename"] == "Query", "ordinary queries still work"


async def test_a_failed_crawl_shows_anonymous_callers_a_class_of_failure_not_the_exception(
    api_url: str, pg_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    site_id = unique("failing")
    await add_site(pg_pool, site_record(site_id, "http://127.0.0.1:9"))
    crawl_id = await queue_crawl(pg_pool, site_id, "manual")
    assert crawl_id is not None
    secret = "connect to postgresql://postgres:hunter2@10.0.0.5:5432 from /srv/yiwang/worker.py failed"

    async def crawl(site: Site, crawl_id: int) -> object:
        raise RuntimeError(secret)

    with caplog.at_level(logging.ERROR, logger="core.crawls"), pytest.raises(RuntimeError):
        await run_crawl(pool=pg_pool, crawl_id=crawl_id, site_id=site_id, crawl=crawl)  # type: ignore[arg-type]
    query = "query($s: ID!) { crawlStatus(site: $s) { state message } }"
    status = (await gql(api_url, query, {"s": site_id}, token=None))["data"]["crawlStatus"]
    assert status["state"] == "failed" and "hunter2" not in status["message"] and "10.0.0.5" not in status["message"]
    error_id = re.fullmatch(r"internal error \(id ([0-9a-f]{12})\)", status["message"])
    assert error_id, status["message"]
    [record] = [r for r in caplog.records if r.getMessage() == "crawl failed"]
    assert error_id.group(1) in record.__dict__["reason"] and record.exc_info, "the logs keep the detail"

"""What the API's SearchService holds in memory reaches Postgres when the API shuts down."""

from __future__ import annotations

import dataclasses

import aiohttp
import asyncpg
import pytest
import uvicorn

from api.app import create_app
from core.search import IndexDoc
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.conftest import start_server
from tests.polling import eventually

pytestmark = pytest.mark.integration

QUERY = "停机测试公告"


async def test_popular_query_counts_survive_an_api_shutdown(settings: Settings, pg_pool: asyncpg.Pool) -> None:
    writer = TantivyEngine(settings.data_dir)
    await writer.open()
    doc = IndexDoc(id="lifecycle-1", url="http://127.0.0.1:1/l.html", title=QUERY, kind="notice", text=QUERY, site="l")
    await writer.upsert([doc])
    await writer.close()
    port = free_port()
    app = create_app(dataclasses.replace(settings, port=port, broker_url="stub://"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = await start_server(server)
    body = {"query": "query($q: String!) { search(query: $q) { total } }", "variables": {"q": QUERY}}

    async def total() -> int:
        async with aiohttp.ClientSession() as session, session.post(f"http://127.0.0.1:{port}/graphql", json=body) as r:
            assert r.status == 200, await r.text()
            return int((await r.json())["data"]["search"]["total"])

    await eventually(total, lambda n: n >= 1, timeout=20, what="the document found")  # counted once a day
    await total()
    sql = "select clients from search_query_days where query = $1"
    # counts are flushed every minute; nothing has been written yet
    assert await pg_pool.fetchval(sql, QUERY) is None
    server.should_exit = True
    await task
    assert await pg_pool.fetchval(sql, QUERY) == 1  # one client, however often it searched

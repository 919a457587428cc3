"""What the API's SearchService holds in memory reaches Postgres when the API shuts down."""

from __future__ import annotations

import dataclasses
import uuid

import aiohttp
import asyncpg
import pytest
import uvicorn

from api.app import create_app
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.conftest import start_server

pytestmark = pytest.mark.integration


async def test_popular_query_counts_survive_an_api_shutdown(settings: Settings, pg_pool: asyncpg.Pool) -> None:
    port = free_port()
    app = create_app(dataclasses.replace(settings, port=port, broker_url="stub://"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = await start_server(server)
    query = f"停机测试{uuid.uuid4().hex[:8]}"
    body = {"query": "query($q: String!) { search(query: $q) { total } }", "variables": {"q": query}}
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(f"http://127.0.0.1:{port}/graphql", json=body) as response:
                assert response.status == 200, await response.text()
    # counts are flushed every minute; nothing has been written yet
    assert await pg_pool.fetchval("select count from search_query_counts where query = $1", query) is None
    server.should_exit = True
    await task
    assert await pg_pool.fetchval("select count from search_query_counts where query = $1", query) == 2

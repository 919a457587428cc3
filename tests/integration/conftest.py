"""Integration fixtures: a real API server (uvicorn on a free port) over the session's Postgres and NATS."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
import uvicorn

from api.app import create_app
from core.settings import Settings
from tests.conftest import free_port


@pytest.fixture(scope="session")
async def api_url(settings: Settings) -> AsyncIterator[str]:
    port = free_port()
    # A small depth limit so a depth bomb fits in this schema (the default is 10).
    app_settings = dataclasses.replace(settings, port=port, broker_url="stub://", max_query_depth=2)
    server = uvicorn.Server(uvicorn.Config(create_app(app_settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on", ws="websockets-sansio"))  # fmt: skip
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task

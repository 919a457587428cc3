"""Integration fixtures: a real API server (uvicorn on a free port) over the session's Postgres and NATS."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.graphql import ADMIN_TOKEN


@contextlib.asynccontextmanager
async def serve_api(settings: Settings, **overrides: Any) -> AsyncIterator[str]:
    """Serve the real app on a free port in this event loop; yields its base URL, shuts down cleanly."""
    port = free_port()
    overrides.setdefault("admin_token", ADMIN_TOKEN)
    app_settings = dataclasses.replace(settings, port=port, broker_url="stub://", **overrides)
    server = uvicorn.Server(uvicorn.Config(create_app(app_settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on", ws="websockets-sansio"))  # fmt: skip
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def api_url(settings: Settings) -> AsyncIterator[str]:
    # A small depth limit so a depth bomb fits in this schema (the default is 10).
    async with serve_api(settings, max_query_depth=2) as url:
        yield url

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
from core.clock import Clock, system_clock
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.graphql import ADMIN_TOKEN
from tests.polling import eventually


async def start_server(server: uvicorn.Server) -> asyncio.Task[None]:
    """Run `server` in this event loop; return its task once it accepts connections (or raise why it stopped)."""
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()
            raise AssertionError("the server stopped before it started")
        return bool(server.started)

    await eventually(started, timeout=60, what="the API server listening")
    return task


@contextlib.asynccontextmanager
async def serve_api(settings: Settings, *, clock: Clock = system_clock, **overrides: Any) -> AsyncIterator[str]:
    """Serve the real app on a free port in this event loop; yields its base URL, shuts down cleanly."""
    port = free_port()
    overrides.setdefault("admin_token", ADMIN_TOKEN)
    app_settings = dataclasses.replace(settings, port=port, broker_url="stub://", **overrides)
    config = uvicorn.Config(
        create_app(app_settings, clock=clock),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    task = await start_server(server)
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

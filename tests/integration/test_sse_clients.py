"""The npm clients frontend teams use, against the real API: `graphql-ws` (Apollo, urql, Relay over
websockets) from an allowed and a refused Origin, and `graphql-sse` in distinct connections mode."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.test_sse import hot_list
from tests.npm import installed, node

pytestmark = pytest.mark.integration
CLIENTS = Path(__file__).resolve().parent.parent / "graphql_ws"
FRONTEND = "https://www.frontend-a.gov.cn"
HOT = "subscription { hotQueries(window: DAY, limit: 2) { query } }"


@pytest.fixture(scope="module")
def modules() -> Path:
    return installed(CLIENTS)


@pytest.fixture(scope="module")
async def api(settings: Settings) -> AsyncIterator[str]:
    async with serve_api(settings, cors_origins=FRONTEND) as url:
        yield url


async def subscribe(modules: Path, mode: str, url: str, origin: str | None = None) -> dict[str, Any]:
    """Run tests/graphql_ws/subscribe.cjs: the first result, or how it failed."""
    args = [mode, f"{url}/graphql", HOT, *([origin] if origin else [])]
    process = await asyncio.create_subprocess_exec(
        node(),
        str(CLIENTS / "subscribe.cjs"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(modules)},
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = out.decode().strip().splitlines()
    assert lines, f"the client printed nothing (exit {process.returncode}): {err.decode()[-2000:]}"
    return dict(json.loads(lines[-1]))


async def test_graphql_ws_client_subscribes_from_an_allowed_origin(modules: Path, api: str) -> None:
    got = await subscribe(modules, "ws", api, FRONTEND)
    assert set(got) == {"result"} and hot_list(got["result"])


async def test_graphql_ws_client_without_a_browser_origin_subscribes(modules: Path, api: str) -> None:
    got = await subscribe(modules, "ws", api)
    assert set(got) == {"result"} and hot_list(got["result"])


async def test_graphql_ws_client_from_a_refused_origin_gets_no_socket(modules: Path, api: str) -> None:
    got = await subscribe(modules, "ws", api, "https://evil.example.test")
    assert "result" not in got
    assert "Unexpected server response: 403" in got["failed"], got


async def test_graphql_sse_client_subscribes_in_distinct_connections_mode(modules: Path, api: str) -> None:
    got = await subscribe(modules, "sse", api)
    assert set(got) == {"result"} and hot_list(got["result"])

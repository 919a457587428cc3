"""`yiwang up` says what is true at a start: the sites due for a crawl, or that none is due (a restart); and it prints
its banner when the web process answers, however long that takes on a loaded machine."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web

from core.crawls import finish_crawl, queue_crawl, start_crawl
from core.settings import Settings
from ops.runtime import Resolved
from ops.up import _crawl_line, _prepare, _ready_unless_stopped
from tests.conftest import free_port
from tests.integration.crawling import unique

pytestmark = pytest.mark.integration


async def test_the_banner_says_crawling_only_when_a_crawl_is_due(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    site = unique("banner")
    sites = tmp_path / "sites.yaml"
    entry = f"{{id: {site}, name: 横幅, level: 市, start_urls: ['http://127.0.0.1:9/']}}"
    sites.write_text(f"sites:\n  - {entry}\n", "utf-8")
    count, due = await _prepare(Resolved(settings, []), sites)
    assert count == 1 and site in due
    assert f"due for a crawl now ({', '.join(due)})" in _crawl_line(count, due)
    crawl_id = await queue_crawl(pg_pool, site, "test")
    assert crawl_id is not None and await start_crawl(pg_pool, crawl_id)
    await finish_crawl(pg_pool, crawl_id, ok=True)
    _, due = await _prepare(Resolved(settings, []), sites)  # a restart right after a crawl
    assert site not in due
    assert _crawl_line(1, []) == (
        "yiwang is up: 1 site, none due for a crawl (each on its schedule; crawlSite crawls one now)."
    )


async def test_a_web_process_slower_than_the_first_wait_still_gets_its_banner() -> None:
    """The first wait gives up (False: `up` warns), the next one, without a deadline, sees it answer (True)."""

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner, port = web.AppRunner(app), free_port()
    await runner.setup()

    async def start() -> None:
        await web.TCPSite(runner, "127.0.0.1", port).start()

    url, stop = f"http://127.0.0.1:{port}/healthz", asyncio.Event()
    try:
        assert await _ready_unless_stopped(url, None, stop, timeout=0.5) is False  # type: ignore[arg-type]
        later = asyncio.get_running_loop().call_later(0.5, lambda: asyncio.ensure_future(start()))
        assert await _ready_unless_stopped(url, None, stop, timeout=math.inf) is True  # type: ignore[arg-type]
        later.cancel()
        stop.set()
        assert await _ready_unless_stopped(url + "-gone", None, stop, timeout=math.inf) is None, "Ctrl-C wins"
    finally:
        await runner.cleanup()

"""`yiwang crawl SITE`: a foreground crawl with a progress bar; unknown sites are named; Ctrl-C keeps the frontier."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web

from core.errors import NotFound
from core.settings import Settings
from ops.cli.crawl import INTERRUPTED, crawl_site
from tests.integration.crawling import add_site, html, serve, site_record, unique
from tests.polling import eventually

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def gated(gate: asyncio.Event | None = None, open_below: int = 40) -> Callable[[web.Application], None]:
    """A site of 120 linked pages; with a `gate`, pages from `open_below` on wait for it, so that a crawl cannot
    finish before the test lets it (a loaded machine once let the whole crawl end before its Ctrl-C arrived)."""

    def routes(app: web.Application) -> None:
        async def handle(request: web.Request) -> web.Response:
            name = request.path.strip("/").removesuffix(".html") or "0"
            if not name.isdigit():  # robots.txt, sitemap.xml: none here
                return web.Response(status=404)
            n = int(name)
            if gate is not None and n >= open_below:
                await gate.wait()
            links = "".join(f'<a href="/{n * 4 + k}.html">第{n * 4 + k}条</a>' for k in range(1, 5) if n * 4 + k < 120)
            return html(f"<html><head><title>页面{n}</title></head><body><h1>页面{n}</h1>{links}</body></html>")

        app.router.add_get("/{tail:.*}", handle)

    return routes


routes = gated()


async def test_crawl_runs_in_the_foreground_with_the_counters_of_crawl_status(
    settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    async with serve(routes) as base:
        site_id = unique("cli")
        await add_site(pg_pool, site_record(site_id, base))
        bar = io.StringIO()
        assert await crawl_site(settings, site_id, out=bar) == 0
    row = await pg_pool.fetchrow("select * from crawls where site_id = $1", site_id)
    assert row["trigger"] == "cli" and row["state"] == "done" and row["pages_fetched"] == 120
    assert "fetched=120" in bar.getvalue() and "queued=0" in bar.getvalue() and "pages_s=" in bar.getvalue()


async def test_unknown_site_lists_the_known_ones(settings: Settings, pg_pool: asyncpg.Pool) -> None:
    known = unique("known")
    await add_site(pg_pool, site_record(known, "http://127.0.0.1:9"))
    with pytest.raises(NotFound) as err:
        await crawl_site(settings, "no-such-site", out=io.StringIO())
    assert "no site 'no-such-site'" in err.value.message
    # A group with its grassroots units holds thousands of sites: a dozen are named in id order, the rest counted
    # (other tests add sites meanwhile, so the figures are checked against the store, not against a snapshot).
    found = re.search(r"known sites: (.+?)(?: … and ([\d,]+) more \(yiwang sites list\))?$", err.value.message)
    assert found, err.value.message
    named = found.group(1).split(", ")
    stored = {r["id"] for r in await pg_pool.fetch("select id from sites")}
    assert named == sorted(named) and set(named) <= stored and 1 <= len(named) <= 12
    if found.group(2):
        assert len(named) == 12 and len(named) + int(found.group(2).replace(",", "")) <= len(stored)


async def test_ctrl_c_stops_cleanly_and_the_next_crawl_resumes(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    async with serve(gated(gate)) as base:
        site_id = unique("cli-int")
        await add_site(pg_pool, site_record(site_id, base, delay=0.05))
        env = {**os.environ, "DATABASE_URL": settings.database_url or "", "NATS_URL": settings.nats_url or "",
               "DATA_DIR": str(tmp_path)}  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ops", "crawl", site_id, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        progressed = "select pages_fetched >= 20 from crawls where site_id = $1 and state = 'running'"

        async def crawl_progressed() -> bool:
            assert proc.returncode is None, "the crawl process exited early"
            return bool(await pg_pool.fetchval(progressed, site_id))

        await eventually(crawl_progressed, timeout=60, what="the crawl fetching 20 pages")
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
        gate.set()  # the rest of the site answers from now on
        assert proc.returncode == 130, stderr.decode()[-2000:]
        row = await pg_pool.fetchrow("select state, message from crawls where site_id = $1", site_id)
        assert (row["state"], row["message"]) == ("failed", INTERRUPTED)
        done_before = await pg_pool.fetchval(
            "select count(*) from crawl_urls where site_id = $1 and state = 'done'", site_id
        )
        assert 20 <= done_before < 120
        assert await crawl_site(settings, site_id, out=io.StringIO()) == 0
    latest = await pg_pool.fetchrow(
        "select state, pages_fetched from crawls where site_id = $1 order by id desc limit 1", site_id
    )
    assert latest["state"] == "done" and latest["pages_fetched"] == 120 - done_before

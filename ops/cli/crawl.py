"""`yiwang crawl SITE [--full]`: one crawl of a site in the foreground, with a live progress bar."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, TextIO

import asyncpg

from core.crawls import INTERRUPTED, get_crawl, queue_crawl, run_crawl
from core.errors import Conflict, NotFound
from core.settings import Settings

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["INTERRUPTED", "crawl_site", "register"]
POLL_S = 0.5
KNOWN_SHOWN = 12


async def _site_or_error(pool: asyncpg.Pool, site_id: str) -> None:
    from core.sites import count_sites, known_site, list_sites

    with contextlib.suppress(NotFound):
        await known_site(pool, site_id)
        return
    known = [s.id for s in await list_sites(pool, limit=KNOWN_SHOWN)]
    listing = ", ".join(known) if known else "none (load a sites.yaml first: yiwang sites load FILE)"
    more = await count_sites(pool) - len(known)
    if more > 0:
        listing += f" … and {more:,} more (yiwang sites list)"
    raise NotFound(f"no site {site_id!r}; known sites: {listing}")


async def _draw(pool: asyncpg.Pool, crawl_id: int, bar: tqdm[None]) -> None:
    """The crawl's counters as crawlStatus shows them: the same numbers, from the same row."""
    crawl = await get_crawl(pool, crawl_id)
    bar.total = crawl.pages_fetched + crawl.queued
    bar.n = crawl.pages_fetched
    rate = f"{crawl.pages_per_second() or 0:.1f}"
    bar.set_postfix(fetched=crawl.pages_fetched, queued=crawl.queued, errors=crawl.errors, pages_s=rate)


async def crawl_site(settings: Settings, site_id: str, *, full: bool = False, out: TextIO = sys.stderr) -> int:
    """Queue a crawl with trigger 'cli', run it here, draw its counters; Ctrl-C stops it and keeps the frontier."""
    from tqdm import tqdm

    from scrapers.crawl import Crawler
    from workers.runtime import opened

    async with opened(settings, f"cli-crawl-{site_id}") as rt:
        await _site_or_error(rt.pool, site_id)
        await rt.bus.ensure_streams()  # on a fresh install nothing else may have created them yet
        crawl_id = await queue_crawl(rt.pool, site_id, "cli", full=full)
        if crawl_id is None:
            raise Conflict(f"a crawl of {site_id} is already queued or running; crawlStatus(site) shows its progress")
        crawler = Crawler(settings, rt.pool, rt.bus)
        running = run_crawl(
            pool=rt.pool, crawl_id=crawl_id, site_id=site_id, crawl=crawler.crawl, record_interrupts=True
        )
        task = asyncio.create_task(running)
        with tqdm(desc=site_id, unit="page", file=out, dynamic_ncols=True, total=0) as bar:
            try:
                while not task.done():
                    await asyncio.wait({task}, timeout=POLL_S)
                    await _draw(rt.pool, crawl_id, bar)
                result = task.result()
            except BaseException:
                task.cancel()  # run_crawl records the crawl failed (or interrupted) before it ends
                await asyncio.gather(task, return_exceptions=True)
                raise
    summary = result.summary() if result else "already finished"
    print(f"crawl {crawl_id} of {site_id}: {summary}", flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    from ops.runtime import prepare, resolve

    resolved = resolve()
    prepare(resolved.settings)
    try:
        return asyncio.run(crawl_site(resolved.settings, args.site, full=args.full))
    except KeyboardInterrupt:
        print(f"yiwang: crawl of {args.site} {INTERRUPTED}", file=sys.stderr)
        return 130


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crawl", help="crawl one site now in the foreground, with a progress bar")
    p.add_argument("site", help="the site id (as in sites.yaml)")
    p.add_argument("--full", action="store_true", help="recheck every known URL now (conditional GETs keep it cheap)")
    p.set_defaults(func=run)

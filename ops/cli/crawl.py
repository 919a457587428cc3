"""`yiwang crawl SITE [--full]`: one crawl of a site in the foreground, with a live progress bar."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

import asyncpg

from core.errors import Conflict, NotFound
from core.settings import Settings

POLL_S = 0.5
INTERRUPTED = "interrupted; the frontier is kept and the next crawl of the site resumes it"


async def _site_or_error(pool: asyncpg.Pool, site_id: str) -> None:
    from core.sites import list_sites

    known = [s.id for s in await list_sites(pool)]
    if site_id not in known:
        listing = ", ".join(known) if known else "none (load a sites.yaml first: yiwang sites load FILE)"
        raise NotFound(f"no site {site_id!r}; known sites: {listing}")


async def crawl_site(settings: Settings, site_id: str, *, full: bool = False, out: TextIO = sys.stderr) -> int:
    """Queue a crawl with trigger 'cli', run it here, draw its counters; Ctrl-C stops it and keeps the frontier."""
    from tqdm import tqdm

    from core import crawls
    from core.sites import get_site
    from schema.types import CrawlStatus
    from scrapers.crawl import Crawler
    from workers.runtime import opened

    async with opened(settings, f"cli-crawl-{site_id}") as rt:
        await _site_or_error(rt.pool, site_id)
        await rt.bus.ensure_streams()  # on a fresh install nothing else may have created them yet
        if full:
            await crawls.mark_site_due(rt.pool, site_id)
        crawl_id = await crawls.queue_crawl(rt.pool, site_id, "cli")
        if crawl_id is None:
            raise Conflict(f"a crawl of {site_id} is already queued or running; crawlStatus(site) shows its progress")
        await crawls.start_crawl(rt.pool, crawl_id)
        task = asyncio.create_task(Crawler(settings, rt.pool, rt.bus).crawl(await get_site(rt.pool, site_id), crawl_id))
        bar = tqdm(desc=site_id, unit="page", file=out, dynamic_ncols=True, total=0)

        async def draw() -> None:
            status = CrawlStatus.of(await crawls.get_crawl(rt.pool, crawl_id))  # the same numbers as GraphQL
            bar.total = status.fetched + status.queued
            bar.n = status.fetched
            rate = f"{status.pages_per_second or 0:.1f}"
            bar.set_postfix(fetched=status.fetched, queued=status.queued, errors=status.errors, pages_s=rate)

        try:
            while not task.done():
                await asyncio.wait({task}, timeout=POLL_S)
                await draw()
            result = task.result()
        except BaseException as exc:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            message = INTERRUPTED if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt) else repr(exc)[:500]
            await crawls.finish_crawl(rt.pool, crawl_id, ok=False, message=message)
            bar.close()
            raise
        await crawls.finish_crawl(rt.pool, crawl_id, ok=True, message=result.summary())
        await draw()
        bar.close()
    print(f"crawl {crawl_id} of {site_id}: {result.summary()}", flush=True)
    return 0


def run(args: argparse.Namespace) -> int:
    from ops.runtime import prepare, setup

    resolved = setup("crawl")
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

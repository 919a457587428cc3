"""Our side of the benchmark: one Crawler.crawl of the site over a fresh database and the NATS bus."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import secrets
import time

import asyncpg

from core.bus import Bus
from core.crawls import finish_crawl, queue_crawl, start_crawl
from core.db import migrate
from core.settings import Settings
from core.sites import get_site, parse_sites, sync_sites
from scrapers.crawl import Crawler


async def run(base: str, database_url: str, nats_url: str, concurrency: int, max_pages: int) -> dict[str, object]:
    name = f"yw_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(database_url)
    await admin.execute(f'create database "{name}"')
    await admin.close()
    db_url = database_url.rsplit("/", 1)[0] + "/" + name
    settings = Settings(database_url=db_url, nats_url=nats_url, crawl_concurrency=concurrency, log_format="text")
    pool = await asyncpg.create_pool(db_url, min_size=2, max_size=10)
    bus = await Bus(settings, name="bench").connect()
    try:
        await migrate(pool)
        await bus.ensure_streams()
        text = f"sites: [{{id: bench, name: 基准站点, level: 市, start_urls: ['{base}/'], max_pages: {max_pages}}}]"
        await sync_sites(pool, parse_sites(text))
        crawl_id = await queue_crawl(pool, "bench", "bench")
        assert crawl_id is not None
        await start_crawl(pool, crawl_id)
        site = await get_site(pool, "bench")
        started = time.perf_counter()
        result = await Crawler(settings, pool, bus).crawl(site, crawl_id)
        elapsed = time.perf_counter() - started
        await finish_crawl(pool, crawl_id, ok=True, message=result.summary())
    finally:
        await bus.close()
        await pool.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "name": "yiwang",
        "pages": result.fetched,
        "seconds": elapsed,
        "peak_rss_mb": peak_mb,
        "events": result.changed,
        "errors": result.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-pages", type=int, default=100_000)
    args = parser.parse_args()
    out = asyncio.run(run(args.base, args.database_url, args.nats_url, args.concurrency, args.max_pages))
    print(json.dumps(out))


if __name__ == "__main__":
    main()

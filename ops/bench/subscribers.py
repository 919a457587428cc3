"""`python -m ops.bench.subscribers`: 1,000 `documentChanged` subscribers (graphql-transport-ws) on one web process,
then a document imported through the indexer; how long each subscriber waited for the change (measured).

Each websocket is a client of its own address (X-Forwarded-For, trusted from loopback in the bench's mesh), as the
subscription caps intend: MAX_SUBSCRIPTIONS_PER_CLIENT (50) and _PER_CONNECTION (10) keep their defaults. Run by
hand (a minute or two); its output is pasted into docs/operations.md."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import secrets
import sys
import time
from pathlib import Path

import asyncpg

from core.bus import Bus
from core.documents.importer import import_documents
from core.settings import Settings, get_settings
from ops.bench.load.live import Subscriber, subscribers
from ops.bench.load.mesh import add_target_arguments, attach_or_start, load_average, sample, web_process
from ops.bench.load.stats import percentile
from ops.runtime import resolve

SITE = "demo-portal"


def mesh_settings(data_dir: Path) -> Settings:
    """Settings reaching the embedded Postgres and NATS of a bench's DATA_DIR."""
    return resolve(dataclasses.replace(get_settings(), data_dir=data_dir, database_url=None, nats_url=None)).settings


async def change(settings: Settings, token: str) -> str:
    """Import one new document (the indexer publishes its DocumentChanged); its URL."""
    url = f"http://{SITE}.bench.invalid/live/{token}.html"
    line = json.dumps(
        {"url": url, "title": f"养老服务补贴调整通知{token}", "text": "养老服务补贴标准调整。"}, ensure_ascii=False
    )
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    bus = await Bus(settings, name="subscribers-bench").connect()
    try:
        await import_documents(pool, bus, [line], default_site=SITE, wait_timeout_s=120)
    finally:
        await bus.close()
        await pool.close()
    return url


async def arrivals(subs: list[Subscriber], url: str, wait_s: float) -> None:
    """Wait until every open subscriber has the change, or `wait_s`."""
    for _ in range(int(wait_s * 10)):
        if all(url in s.received for s in subs if s.error is None):
            return
        await asyncio.sleep(0.1)


def report(subs: list[Subscriber], url: str, began: float, window_s: float) -> list[float]:
    """Print and return each subscriber's delay (s) from the import's start to the change's arrival."""
    delays = [s.received[url] - began for s in subs if url in s.received]
    late = sum(1 for d in delays if d > window_s)
    committed = [s.received[url] - s.changed[url] for s in subs if url in s.received]
    if delays:
        print(
            f"  change {url.rsplit('/', 1)[1]}: received by {len(delays)}/{len(subs)}; delay p50 "
            f"{percentile(delays, 50) * 1000:.0f} ms, p99 {percentile(delays, 99) * 1000:.0f} ms, "
            f"max {max(delays) * 1000:.0f} ms; over {window_s:.0f} s: {late}; from its changedAt p50 "
            f"{percentile(committed, 50) * 1000:.0f} ms, max {max(committed) * 1000:.0f} ms"
        )
    else:
        print(f"  change {url}: received by none of {len(subs)}")
    return delays


async def run(args: argparse.Namespace) -> None:
    up, url, data_dir = await attach_or_start(args.url, args.data_dir, None, args.verbose)
    if data_dir is None:
        raise SystemExit("--url needs --data-dir (the change is imported through the mesh's own Postgres and NATS)")
    try:
        settings = mesh_settings(data_dir)
        print(f"yiwang up (web ×1) at {url}; load average {load_average()}")
        web = web_process(url)
        before = sample({"web": web}, None)["web"]
        opened = time.monotonic()
        async with subscribers(url, args.count) as subs:
            failed = [s for s in subs if s.error]
            print(f"  {args.count} subscriptions opened in {time.monotonic() - opened:.1f} s; failed: {len(failed)}")
            for s in failed[:5]:
                print(f"    subscriber {s.index}: {s.error}")
            await asyncio.sleep(3)  # every subscription is listening on the bus
            held = sample({"web": web}, None)["web"]
            print(f"  web RSS {before.rss_mb:.0f} → {held.rss_mb:.0f} MB, fds {before.fds:.0f} → {held.fds:.0f}")
            everyone: list[float] = []
            for _ in range(args.changes):
                began = time.time()
                changed = await change(settings, secrets.token_hex(4))
                await arrivals(subs, changed, args.wait)
                everyone += report(subs, changed, began, args.window)
            ok = len(everyone) == args.count * args.changes and max(everyone) <= args.window
            print(
                f"all changes: {len(everyone)}/{args.count * args.changes} deliveries, p50 "
                f"{percentile(everyone, 50) * 1000:.0f} ms, p99 {percentile(everyone, 99) * 1000:.0f} ms, max "
                f"{max(everyone, default=0) * 1000:.0f} ms: {'OK' if ok else 'NOT'} within {args.window} s"
            )
            used = sample({"web": web}, None)["web"].cpu_s - held.cpu_s
            print(
                f"  web CPU while delivering: {used:.2f} s ({used / max(1, len(everyone)) * 1000:.2f} ms per delivery)"
            )
            print(f"  still open: {sum(1 for s in subs if s.error is None)}; load average {load_average()}")
    finally:
        if up is not None:
            print(f"stopped in {await up.stop():.1f} s")


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows when redirected
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="subscribers (websockets), one per client address")
    parser.add_argument("--changes", type=int, default=3, help="documents imported, one after another")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for late deliveries")
    parser.add_argument("--window", type=float, default=1.0, help="seconds within which each must arrive")
    add_target_arguments(parser)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

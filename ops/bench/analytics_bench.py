"""Throughput of search analytics: generated events through the real aggregation path, and a naive peer.

Run by hand (never a test): embedded Postgres and NATS in a temp dir, or DATABASE_URL (and NATS_URL) when set.
Usage: .venv/bin/python -m ops.bench.analytics_bench [EVENTS] [BATCH,BATCH…]   (default 100000 64,500)
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from core.analytics import Window, apply_events, decode_activity, hot_queries
from core.bus import Bus, ConsumerRunner, ResultClicked, SearchLogged
from core.db import migrate
from core.settings import Settings
from ops.demo.vocab import TOPICS
from ops.embedded import throwaway_services
from workers.analytics import AnalyticsConsumer

SITES = [None, "demo-portal", "demo-rsj", "demo-gjj", "demo-county"]
SOURCES = ["portal", "api", "suggest", "wechat"]
SUFFIXES = ["", "办理", "条件", "流程", "材料", "咨询电话", "在哪里办", " 2024", "怎么申请", "网上办理"]
NAIVE_TABLE = """create table if not exists bench_naive_events (
    key text primary key, kind text not null, query text, site text, source text, total integer,
    search_id text not null, document_id text, position integer, at timestamptz not null)"""
NAIVE_INSERT = """insert into bench_naive_events (key, kind, query, site, source, total, search_id, document_id,
    position, at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (key) do nothing"""


def generate(n: int, seed: int = 7) -> list[bytes]:
    """~n encoded events: Zipf-distributed queries, 10% zero results, a click on ~30% of searches, a little
    redelivery (1% duplicates) and clicks arriving out of order."""
    rng = random.Random(seed)
    words = sorted({w for t in TOPICS.values() for w in (t.name, *t.items, *t.subsidies)})
    queries = [w + s for w in words for s in SUFFIXES]
    rng.shuffle(queries)
    weights = [1 / (rank + 1) for rank in range(len(queries))]
    start = datetime(2030, 1, 1, tzinfo=UTC)
    events: list[SearchLogged | ResultClicked] = []
    i = 0
    while len(events) < n:
        at = (start + timedelta(seconds=i * 3)).isoformat()
        total = 0 if rng.random() < 0.1 else rng.randint(1, 500)
        s = SearchLogged(
            search_id=f"b{i}",
            query=rng.choices(queries, weights)[0],
            total=total,
            at=at,
            site=rng.choice(SITES),
            source=rng.choice(SOURCES),
        )
        events.append(s)
        if total and rng.random() < 0.3:
            click = ResultClicked(
                search_id=s.search_id,
                document_id=f"d{rng.randint(1, 50000)}",
                position=min(int(rng.expovariate(0.4)) + 1, 20),
                at=at,
            )
            events.insert(max(0, len(events) - rng.randint(0, 30)), click)  # sometimes before its search
        if rng.random() < 0.01:
            events.append(s)
        i += 1
    return [e.encode() for e in events[:n]]


async def run_batches(
    pool: asyncpg.Pool,
    payloads: list[bytes],
    batch: int,
    apply: Callable[[asyncpg.Connection, list[bytes]], Awaitable[None]],
) -> float:
    started = time.perf_counter()
    async with pool.acquire() as conn:
        for offset in range(0, len(payloads), batch):
            async with conn.transaction():
                await apply(conn, payloads[offset : offset + batch])
    return len(payloads) / (time.perf_counter() - started)


async def aggregated(conn: asyncpg.Connection, payloads: list[bytes]) -> None:
    await apply_events(conn, [decode_activity(p) for p in payloads])


async def naive(conn: asyncpg.Connection, payloads: list[bytes]) -> None:
    for p in payloads:
        e = decode_activity(p)
        row: tuple[object, ...]
        if isinstance(e, SearchLogged):
            row = (e.key, "search", e.query, e.site, e.source, e.total, e.search_id, None, None)
        else:
            row = (e.key, "click", None, None, None, None, e.search_id, e.document_id, e.position)
        await conn.execute(NAIVE_INSERT, *row, datetime.fromisoformat(e.at))


async def through_nats(pool: asyncpg.Pool, nats_url: str, payloads: list[bytes]) -> None:
    """The consumer as deployed: events published to JetStream, drained by ConsumerRunner(AnalyticsConsumer)."""
    await pool.execute("truncate analytics_hourly, analytics_searches, analytics_clicks")
    bus = await Bus(Settings(nats_url=nats_url), name="bench").connect()
    try:
        await bus.ensure_streams()
        events = {e.key: e for e in map(decode_activity, payloads)}  # JetStream drops same-key republishes
        for offset in range(0, len(payloads), 1000):
            chunk = list(events.values())[offset : offset + 1000]
            await asyncio.gather(
                *(bus.js.publish(e.subject, e.encode(), headers={"Nats-Msg-Id": e.key}) for e in chunk)
            )
        consumer = AnalyticsConsumer(pool, bus)
        runner = ConsumerRunner(bus, consumer, batch=consumer.fetch_batch or 64)
        started = time.perf_counter()
        task = asyncio.create_task(runner.run())
        while runner.stats.consumed < len(events):  # noqa: ASYNC110 - the runner exposes counters, not events
            await asyncio.sleep(0.05)
        rate = len(events) / (time.perf_counter() - started)
        runner.stop()
        await task
        print(f"through NATS (ConsumerRunner, batch {runner.batch}, acks included): {rate:7.0f} events/s")
    finally:
        await bus.close()


async def bench(url: str, n: int, batches: list[int], nats_url: str | None = None) -> None:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    assert pool is not None
    try:
        await migrate(pool)
        await pool.execute(NAIVE_TABLE)
        payloads = generate(n)
        print(f"{len(payloads)} events, {os.cpu_count()} cores shared by Python and Postgres {url.split('@')[-1]}")
        for batch in batches:
            await pool.execute("truncate analytics_hourly, analytics_searches, analytics_clicks, bench_naive_events")
            rate = await run_batches(pool, payloads, batch, aggregated)
            again = await run_batches(pool, payloads, batch, aggregated)
            slow = await run_batches(pool, payloads, batch, naive)
            print(
                f"batch {batch:4}: aggregated {rate:7.0f} events/s | redelivered {again:7.0f} events/s | "
                f"naive one INSERT per event {slow:7.0f} events/s"
            )
        if nats_url:
            await through_nats(pool, nats_url, payloads)
        searches = await pool.fetchval("select sum(searches) from analytics_hourly")
        rows = await pool.fetchval("select count(*) from analytics_hourly")
        print(f"counted {searches} searches once each (duplicates dropped) into {rows} hourly rows")
        now = datetime(2030, 1, 3, 12, tzinfo=UTC)
        started = time.perf_counter()
        for _ in range(20):
            await hot_queries(pool, window=Window.WEEK, now=now)
        print(f"hot queries (WEEK) read: {(time.perf_counter() - started) / 20 * 1000:.1f} ms")
    finally:
        await pool.execute("drop table if exists bench_naive_events")
        await pool.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    batches = [int(b) for b in sys.argv[2].split(",")] if len(sys.argv) > 2 else [64, 500]
    url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    if url:
        asyncio.run(bench(url, n, batches, nats_url))
        return
    with throwaway_services("yw-bench-") as (_, db_url, nats_url):
        asyncio.run(bench(db_url, n, batches, nats_url))


if __name__ == "__main__":
    main()

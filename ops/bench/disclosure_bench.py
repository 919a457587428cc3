"""Grassroots disclosure at a size: import rate (against COPY of the same rows), a unit's page and roll-up over
GraphQL at village, township and district level, and the city roll-up (against a recount per request).

Run by hand (never a test): embedded Postgres and NATS in a temp dir, or DATABASE_URL and NATS_URL when set
(use an empty database). Units are 成都市's real districts and townships with ~3,000 generated villages.

Usage: .venv/bin/python -m ops.bench.disclosure_bench [--items N] [--funds M] [--samples K]
  default 320,000 items and 14,000 fund projects (1/100 and 1/10 of the issue's 32,000,000 and 140,000).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from core.db import migrate
from core.disclosure import computed_rollups, import_file, stored_rollups
from core.services import Services, open_services
from core.settings import Settings
from ops.bench import timed
from ops.demo.disclosure import write_demo
from ops.embedded import throwaway_services
from schema import build_schema
from schema.context import Context

PAGE = """query($code: String!) { unit(code: $code) { code name level parent { code }
  children(pageSize: 50) { total items { code name } } boards { name categories { category count } }
  items(pageSize: 20) { total items { id title category period dated publishedAt revision } }
  funds(pageSize: 20) { total items { name stage amount spent } }
  rollup { items funds { count amount spent } fundsByStage { key count amount spent } resources assets } } }"""
ROLLUP = """query($code: String!) { unit(code: $code) { rollup { items itemsByCategory { category count }
  funds { count amount spent } fundsByStage { key count amount spent } fundsBySource { key count amount }
  fundsByCategory { key count amount } resources resourceArea assets assetValue } } }"""
RECOUNT = """select (select count(*) from disclosure_items where unit_code like $1 || '%' and published_at is not null
                     and withdrawn_at is null),
                    (select sum(amount) from disclosure_funds where unit_code like $1 || '%'),
                    (select sum(spent) from disclosure_funds where unit_code like $1 || '%')"""
NOW = datetime(2024, 12, 31, tzinfo=UTC)


def percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"n={len(ms)} p50={q[49]:.2f} ms p95={q[94]:.2f} ms p99={q[98]:.2f} ms max={max(ms):.2f} ms"


async def copy_peer(pool: asyncpg.Pool, path: Path) -> float:
    """Seconds COPY takes to load the same items file into a bare table (no checks, no indexes, no roll-ups)."""
    await pool.execute("drop table if exists bench_copy_peer")
    await pool.execute(
        "create unlogged table bench_copy_peer (external_id text, unit_code text, category text, period text,"
        " dated text, title text, body text)"
    )
    t = time.perf_counter()
    with path.open("rb") as f:
        # A day, not the pool's 60 s (None means that default): at the full size the file is 7 GB.
        await pool.copy_to_table("bench_copy_peer", source=f, format="csv", header=True, timeout=86_400)
    took = time.perf_counter() - t
    await pool.execute("drop table bench_copy_peer")
    return took


async def load(services: Services, folder: Path, items: int, funds: int) -> None:
    pool = services.pool
    villages = 3_000
    files = write_demo(folder, items_per_village=max(1, items // villages), funds_per_village=max(1, funds // villages))
    for path in files.in_order():
        rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
        t = time.perf_counter()
        report = await import_file(pool=pool, bus=None, path=path, now=NOW)
        took = time.perf_counter() - t
        assert not report.errors, report.errors[:5]
        line = f"import {path.name}: {rows:,} rows in {took:.1f} s = {rows / took:,.0f} rows/s"
        print(f"{line} (load average {os.getloadavg()[0]:.1f})", flush=True)  # before the peer: it may take long
        if path == files.items:
            peer = await copy_peer(pool, path)
            print(f"  COPY of the same file {rows / peer:,.0f} rows/s; import/COPY = {peer / took:.2f}", flush=True)
    await pool.execute("vacuum analyze", timeout=86_400)  # minutes at the full size


async def measure(services: Services, samples: int) -> None:
    pool, rng = services.pool, random.Random(15)
    schema = build_schema(services.settings)
    by_level = {
        level: [r["code"] for r in await pool.fetch("select code from disclosure_units where level = $1", level)]
        for level in ("村社区", "乡镇街道", "区县", "市")
    }

    def query(document: str, code: str) -> Callable[[], Awaitable[object]]:
        async def run() -> None:
            result = await schema.execute(
                document, variable_values={"code": code}, context_value=Context(services=services)
            )
            assert not result.errors, result.errors

        return run

    await timed([query(PAGE, rng.choice(by_level["村社区"])) for _ in range(50)])  # warm caches and the parser
    load_avg = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load_avg} on {os.cpu_count()} CPUs")
    for level, codes in by_level.items():
        chosen = [rng.choice(codes) for _ in range(samples if level != "市" else samples // 4)]
        print(f"unit page, {level}:".ljust(24), percentiles(await timed([query(PAGE, c) for c in chosen])))
    city = by_level["市"][0]
    print("city roll-up:".ljust(24), percentiles(await timed([query(ROLLUP, city)] * (samples // 4))))

    async def recount() -> None:
        await pool.fetchrow(RECOUNT, city[:4])

    peer = await timed([recount] * 10)
    print("city recount per request (the peer the roll-up rows replace):", percentiles(peer * 10))
    # A recount of 32 M items takes minutes: a pool of its own without the 60 s statement timeout.
    slow = await asyncpg.create_pool(services.settings.database_url, min_size=1, max_size=1, command_timeout=None)
    try:
        if await pool.fetchval(
            "select coalesce(sum(count), 0) > $2 from disclosure_rollups where unit_code = $1 and metric = 'items'",
            city,
            5_000_000,
        ):
            await recount_by_sql(slow, [city, *by_level["区县"]])
        else:
            stored, computed = await stored_rollups(pool=slow), await computed_rollups(pool=slow)
            print(f"roll-up rows: {len(stored):,}; equal to a recount from scratch: {stored == computed}")
    finally:
        await slow.close()


async def recount_by_sql(pool: asyncpg.Pool, codes: list[str]) -> None:
    """Past a few million items the recount of every roll-up row in Python does not fit in memory (32 M items
    took 22 GB): the city's and each district's items and funds are recounted in SQL and compared instead."""
    wrong = []
    for code in codes:
        prefix = code[:4] if code.endswith("00000000") else code[:6]
        items, amount, spent = await pool.fetchrow(RECOUNT, prefix)
        stored = {
            r["metric"]: r
            for r in await pool.fetch(
                "select metric, count, amount, spent from disclosure_rollups where unit_code = $1", code
            )
        }
        held = (stored["items"]["count"], stored["funds"]["amount"], stored["funds"]["spent"])
        if held != (items, amount or 0, spent or 0):
            wrong.append((code, held, (items, amount, spent)))
    print(
        f"roll-ups of the city and {len(codes) - 1} districts (items; funds amount, spent) equal a recount in SQL:"
        f" {not wrong}" + (f" {wrong[:3]}" if wrong else "")
    )


async def bench(settings: Settings, items: int, funds: int, samples: int) -> None:
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        await migrate(pool)
    finally:
        await pool.close()
    async with open_services(settings, name="bench", pool_size=4) as services:
        if not await services.pool.fetchval("select exists (select 1 from disclosure_items)"):
            with tempfile.TemporaryDirectory(prefix="yw-bench-dx-") as tmp:
                await load(services, Path(tmp), items, funds)
        await measure(services, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description="disclosure import rate and page / roll-up latency at a size")
    parser.add_argument("--items", type=int, default=320_000)
    parser.add_argument("--funds", type=int, default=14_000)
    parser.add_argument("--samples", type=int, default=400)
    args = parser.parse_args()
    url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    if url and nats_url:
        asyncio.run(bench(Settings.from_env(), args.items, args.funds, args.samples))
        return
    with throwaway_services("yw-bench-dx-") as (_, db_url, nats):
        asyncio.run(bench(Settings(database_url=db_url, nats_url=nats), args.items, args.funds, args.samples))


if __name__ == "__main__":
    main()

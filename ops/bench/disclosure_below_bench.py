"""`items(below: true)` of a unit over its whole subtree: the count from the roll-up row against `count(*)` of the
subtree (the way before), and the first page, at each level; on the demo hierarchy or a larger generated one.

    .venv/bin/python -m ops.bench.disclosure_below_bench [--items-per-village N] [--villages LO HI]"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from core.db import migrate
from core.disclosure import import_file, list_items
from core.disclosure.hierarchy import subtree
from core.disclosure.store import ITEM_COLUMNS
from core.services import open_services
from core.settings import Settings
from ops.demo.disclosure import write_demo
from ops.embedded import throwaway_services

NOW = datetime(2024, 12, 31, tzinfo=UTC)
COUNT = """select count(*) from disclosure_items where unit_code between $1 and $2 and published_at is not null
           and withdrawn_at is null"""
OLD_WHERE = """unit_code between $1 and $2 and published_at is not null and withdrawn_at is null
    and ($3::text is null or category = $3) and ($4::date is null or period_start >= $4)
    and ($5::date is null or period_end <= $5)"""
OLD_ORDER = "order by period_start desc, published_at desc, id offset $6 limit $7"
EXPLAINED = """select id from disclosure_items where {unit} and published_at is not null and withdrawn_at is null
    order by {newest}, published_at desc, id offset 0 limit 20"""
INDEX = "disclosure_items_recent_idx"
INDEX_SQL = f"""create index if not exists {INDEX} on disclosure_items (period_start desc, published_at desc, id)
                where published_at is not null and withdrawn_at is null"""  # as migration 0029 creates it


def percentiles(ms: list[float]) -> str:
    ordered = sorted(ms)
    at = {q: ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] for q in (50, 95, 99)}
    return " / ".join(f"p{q} {v:.1f} ms" for q, v in at.items())


async def timed(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    out = []
    for call in calls:
        t = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t) * 1000)
    return out


async def bench(
    settings: Settings, per_village: int, villages: tuple[int, int], samples: int, explain: bool = False
) -> None:
    async with open_services(settings, name="bench", pool_size=4) as services:
        pool = services.pool
        await migrate(pool)
        with tempfile.TemporaryDirectory(prefix="yw-bench-below-") as tmp:
            files = write_demo(
                Path(tmp), items_per_village=per_village, funds_per_village=1, villages_per_township=villages
            )
            for path in (files.units, files.items):
                report = await import_file(pool=pool, bus=None, path=path, now=NOW)
                assert not report.errors, report.errors[:3]
        await pool.execute("vacuum analyze")
        n_units = await pool.fetchval("select count(*) from disclosure_units")
        n_items = await pool.fetchval("select count(*) from disclosure_items")
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{n_units:,} units, {n_items:,} items ({per_village} a village); load average {load}")
        rng = random.Random(15)
        chosen = {}
        for level in ("市", "区县", "乡镇街道"):
            codes = [r["code"] for r in await pool.fetch("select code from disclosure_units where level = $1", level)]
            chosen[level] = [rng.choice(codes) for _ in range(samples)]
        await pool.execute(f"drop index if exists {INDEX}")  # the way before: count(*) and a sort of the subtree
        await pool.execute("analyze disclosure_items")
        for level, codes in chosen.items():
            before = await timed([old(pool, c) for c in codes])
            print(f"{level} before (count(*) + sort):".ljust(36), percentiles(before))
        await pool.execute(INDEX_SQL)
        await pool.execute("analyze disclosure_items")
        for level, codes in chosen.items():
            for code in codes[:5]:  # the roll-up's count is exact
                page = await list_items(pool=pool, unit=code, below=True, offset=0, limit=20)
                assert page.total == await pool.fetchval(COUNT, *subtree(code)), code
            after = await timed([new(pool, c) for c in codes])
            if explain:
                first, last = subtree(codes[0])
                for unit, newest in (
                    (f"unit_code || '' between '{first}' and '{last}'", "period_start desc"),
                    (f"unit_code between '{first}' and '{last}'", "period_start + 0 desc"),
                ):
                    sql = EXPLAINED.format(unit=unit, newest=newest)
                    plan = await pool.fetch(f"explain analyze {sql}")
                    print("\n".join(r[0] for r in plan))
            print(f"{level} after (roll-up + ordered index):".ljust(36), percentiles(after))


def old(pool: asyncpg.Pool, code: str) -> Callable[[], Awaitable[object]]:
    """The statements of before, as they were: a count of the subtree and a page of a cached statement."""
    first, last = subtree(code)

    async def run() -> None:
        args = (first, last, None, None, None)
        await pool.fetchval(f"select count(*) from disclosure_items where {OLD_WHERE}", *args)
        await pool.fetch(f"select {ITEM_COLUMNS} from disclosure_items where {OLD_WHERE} {OLD_ORDER}", *args, 0, 20)

    return run


def new(pool: asyncpg.Pool, code: str) -> Callable[[], Awaitable[object]]:
    return lambda: list_items(pool=pool, unit=code, below=True, offset=0, limit=20)


def main() -> None:
    parser = argparse.ArgumentParser(description="items(below: true): count and first page at each level")
    parser.add_argument("--items-per-village", type=int, default=12)
    parser.add_argument("--villages", type=int, nargs=2, default=None, help="villages per township, LO HI")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--explain", action="store_true", help="print the plan of one page at each level")
    args = parser.parse_args()
    villages = tuple(args.villages) if args.villages else (8, 15)
    with throwaway_services("yw-bench-below-") as (_, db_url, nats):
        settings = Settings(database_url=db_url, nats_url=nats)
        asyncio.run(bench(settings, args.items_per_village, villages, args.samples, args.explain))


if __name__ == "__main__":
    main()

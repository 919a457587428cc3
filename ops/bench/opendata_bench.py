"""package_search at N datasets and datastore_search over a table of M rows, each beside a bare Postgres
full-text (or filtered) query on the same rows as the peer, measured in the same run; plus the load rate (COPY).

Run by hand (never a test): embedded Postgres and NATS in a temp dir, or DATABASE_URL and NATS_URL when set (an
empty database), or with --data-dir an embedded Postgres and NATS in that directory, kept afterwards: a later run
with the same directory reuses the catalogue (whatever its size) and the datastore table (a different --rows
loads it again), and measures the searches only. Usage:
  .venv/bin/python -m ops.bench.opendata_bench [--datasets N] [--rows M] [--samples K] [--data-dir DIR]
      [--only package_search|datastore]
  default 100,000 datasets and 5,760,000 rows (the issue's sizes); --datasets 10000 --rows 576000 is 1/10.

package_search goes through core.opendata.search (q over bigram tokens, an fq, three facets, full package
dictionaries with resources, rows=20); its peer is one `search @@ tsquery` with ts_rank and a count on the same
table. datastore_search goes through the datastore_search action (filters on two columns, total); its peer is
the same filtered select and count written by hand, run concurrently. Each pick of filter values is searched by
both, one right after the other, so that both see the same load; which of the two goes first alternates, as the
second finds the pick's pages in shared buffers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from core.db import migrate
from core.opendata import datastore
from core.opendata.actions import datastore_search
from core.opendata.ckan import ActionContext, Caller
from core.opendata.search import package_search, read_query
from core.opendata.tabular import Table
from core.opendata.tokens import document_text, tsquery
from core.settings import Settings
from ops.bench import timed
from ops.demo.opendata import DEPARTMENTS, TOPICS
from ops.embedded import EmbeddedServices, throwaway_services

DOMAINS = list(TOPICS)
WORDS = [w for topics in TOPICS.values() for w in topics]
STATIONS = [f"监测站{i:03d}" for i in range(200)]


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms  (n={len(samples)})"


async def load_catalogue(pool: asyncpg.Pool, n: int) -> None:
    rng = random.Random(14)
    orgs = [
        await pool.fetchval(
            "insert into opendata_organizations (name, title) values ($1, $2) returning id", slug, f"哈尔滨{title}"
        )
        for slug, title, _ in DEPARTMENTS
    ]
    groups = [
        await pool.fetchval("insert into opendata_groups (name, title) values ($1, $2) returning id", f"d{i}", t)
        for i, t in enumerate(DOMAINS)
    ]
    rows = []
    for i in range(n):
        word, year = rng.choice(WORDS), rng.randint(2015, 2025)
        title, notes = f"{year}年{word}", f"{word}数据，按年度发布，供开发者下载。"
        tags = [word, str(year)]
        rows.append(
            (
                f"ds-{i:07d}",
                title,
                notes,
                rng.choice(orgs),
                rng.choice(groups),
                tags,
                rng.sample(["CSV", "XLSX", "JSON", "PDF"], 2),
                document_text(title, notes, " ".join(tags)),
            )
        )
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "create temp table s (name text, title text, notes text, organization_id uuid,"
            " group_id uuid, tags text[], res_formats text[], search_text text) on commit drop"
        )
        await conn.copy_records_to_table("s", records=rows)
        await conn.execute("""insert into opendata_datasets (name, title, notes, organization_id, group_id, tags,
            res_formats, search) select name, title, notes, organization_id, group_id, tags, res_formats,
            to_tsvector('simple', search_text) from s""")
        await conn.execute("""insert into opendata_resources (dataset_id, position, name, format, url)
            select id, 0, name || '.csv', 'CSV', 'https://files.example/' || name || '.csv' from opendata_datasets""")
    await pool.execute("analyze opendata_datasets; analyze opendata_resources")


def air_table(rows: int) -> Table:
    rng = random.Random(5760)
    data = [
        [f"2024-{m:02d}-{d:02d}", rng.choice(STATIONS), str(rng.randint(10, 300)), str(rng.randint(5, 200))]
        for m, d in ((rng.randint(1, 12), rng.randint(1, 28)) for _ in range(rows))
    ]
    return Table(header=["日期", "监测站", "AQI", "PM25"], rows=data, encoding="utf-8", lines=list(range(2, rows + 2)))  # type: ignore[arg-type]


async def bench(settings: Settings, args: argparse.Namespace) -> None:
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=8)
    try:
        await migrate(pool)
        held = await pool.fetchval("select count(*) from opendata_datasets where name like 'ds-%'")
        if held:
            print(f"catalogue: {held} datasets reused")
        else:
            started = time.perf_counter()
            await load_catalogue(pool, args.datasets)
            print(f"catalogue: {args.datasets} datasets loaded in {time.perf_counter() - started:.1f} s")
        if args.only != "datastore":
            orgs = await bench_package_search(pool, args.samples)
            await bench_browse(pool, orgs[:50])
        if args.only != "package_search":
            await bench_datastore(pool, settings, args.rows, args.samples)
    finally:
        await pool.close()


async def bench_package_search(pool: asyncpg.Pool, samples: int) -> list[str]:
    """package_search beside its peer; returns the departments it picked (the browse bench reuses them)."""
    rng = random.Random(1)
    words = [rng.choice(WORDS) for _ in range(samples)]
    orgs = [rng.choice(DEPARTMENTS)[0] for _ in range(samples)]

    def ours(word: str, org: str) -> Callable[[], Awaitable[Any]]:
        params = {
            "q": word,
            "fq": f"organization:{org}",
            "rows": 20,
            "facet.field": '["organization","groups","res_format"]',
        }
        return lambda: package_search(pool, read_query(params, is_admin=False))

    def peer(word: str, org: str) -> Callable[[], Awaitable[Any]]:
        ts = tsquery(word)
        where = (
            "from opendata_datasets d join opendata_organizations o on o.id = d.organization_id"
            " where d.search @@ to_tsquery('simple', $1) and o.name = $2"
        )
        page = f"select d.id, ts_rank(d.search, to_tsquery('simple', $1)) r {where} order by r desc limit 20"
        return lambda: asyncio.gather(pool.fetch(page, ts, org), pool.fetchval(f"select count(*) {where}", ts, org))

    await timed([ours(w, o) for w, o in zip(words[:20], orgs[:20], strict=True)])
    mine = await timed([ours(w, o) for w, o in zip(words, orgs, strict=True)])
    theirs = await timed([peer(w, o) for w, o in zip(words, orgs, strict=True)])
    print("package_search (q + fq + 3 facets, full dicts):", percentiles(mine))
    print("peer: the same FTS + fq by hand (rank + count):", percentiles(theirs))
    ratio = statistics.quantiles(mine, n=100)[98] / statistics.quantiles(theirs, n=100)[98]
    print(f"ratio p99 ours/peer: {ratio:.2f}")
    return orgs


async def bench_browse(pool: asyncpg.Pool, orgs: list[str]) -> None:
    """Without a query: the portal's front page (every dataset, facets) and a department's page (its datasets)."""
    facets = '["organization","groups","res_format"]'
    front = {"rows": 20, "facet.field": facets, "sort": "metadata_modified desc"}
    everything = await timed([lambda: package_search(pool, read_query(front, is_admin=False))] * 30)
    print("package_search, no q, every dataset + 3 facets:", percentiles(everything))

    def department(org: str) -> Callable[[], Awaitable[Any]]:
        return lambda: package_search(pool, read_query({**front, "fq": f"organization:{org}"}, is_admin=False))

    one = await timed([department(o) for o in orgs])
    print("package_search, no q, one department + 3 facets:", percentiles(one))


async def _air_resource(pool: asyncpg.Pool, rows: int) -> tuple[str, bool]:
    """The bench's resource id and whether its table already holds `rows` rows (a run with --data-dir before)."""
    held = await pool.fetchrow(
        """select r.id::text as rid, s.row_count from opendata_resources r
           join opendata_datasets d on d.id = r.dataset_id and d.name = 'air'
           left join opendata_datastore s on s.resource_id = r.id"""
    )
    if held:
        return held["rid"], held["row_count"] == rows
    org = await pool.fetchval("select id from opendata_organizations limit 1")
    dataset = await pool.fetchval(
        "insert into opendata_datasets (name, title, organization_id) values ('air', 'air', $1) returning id", org
    )
    rid = await pool.fetchval(
        "insert into opendata_resources (dataset_id, name, format) values ($1, 'air', 'CSV') returning id", dataset
    )
    return str(rid), False


async def bench_load(pool: asyncpg.Pool, rid: str, rows: int) -> None:
    table = air_table(rows)
    print(f"load average before the load (1, 5, 15 min): {_load_average()}")
    started = time.perf_counter()
    await datastore.load(pool=pool, resource_id=rid, table=table)
    took = time.perf_counter() - started
    print(f"datastore load (infer, review, convert, COPY, indexes): {rows} rows in {took:.1f} s = {rows / took:,.0f}/s")
    records = [[int(r[2] or 0), int(r[3] or 0), r[1]] for r in table.rows]
    await pool.execute("drop table if exists copy_peer; create table copy_peer (aqi bigint, pm25 bigint, station text)")
    started = time.perf_counter()
    await pool.copy_records_to_table("copy_peer", records=records)
    copied = time.perf_counter() - started
    print(f"peer: COPY of the same rows, converted beforehand, no index: {rows / copied:,.0f} rows/s")


async def bench_datastore(pool: asyncpg.Pool, settings: Settings, rows: int, samples: int) -> None:
    rid, loaded = await _air_resource(pool, rows)
    if loaded:
        print(f"datastore: the table of {rows} rows reused (load not measured)")
    else:
        await bench_load(pool, rid, rows)
    ctx = ActionContext(pool=pool, settings=settings, caller=Caller(), base_url="http://bench", now=datetime.now)
    rng = random.Random(2)
    picks = [(rng.choice(STATIONS), str(rng.randint(10, 300))) for _ in range(samples)]

    def ours(station: str, aqi: str) -> Callable[[], Awaitable[Any]]:
        return lambda: datastore_search(ctx, {"resource_id": rid, "filters": {"监测站": station, "AQI": aqi}})

    def peer(station: str, aqi: str) -> Callable[[], Awaitable[Any]]:
        sql = f'select * from datastore."{rid}" where "监测站" = $1 and "AQI" = $2 order by _id limit 100'
        count = f'select count(*) from datastore."{rid}" where "监测站" = $1 and "AQI" = $2'
        return lambda: asyncio.gather(pool.fetch(sql, station, int(aqi)), pool.fetchval(count, station, int(aqi)))

    await timed([ours(s, a) for s, a in picks[:20]])
    print(f"load average before the searches (1, 5, 15 min): {_load_average()}")
    # each pick by both, alternately, so that both see the same load on a shared machine; who goes first alternates
    # too, as the second finds the pick's pages in shared buffers
    pairs = [(ours(s, a), peer(s, a)) if i % 2 == 0 else (peer(s, a), ours(s, a)) for i, (s, a) in enumerate(picks)]
    both = await timed([call for pair in pairs for call in pair])
    firsts, seconds = both[0::2], both[1::2]
    mine = [t for i, t in enumerate(firsts) if i % 2 == 0] + [t for i, t in enumerate(seconds) if i % 2 == 1]
    theirs = [t for i, t in enumerate(seconds) if i % 2 == 0] + [t for i, t in enumerate(firsts) if i % 2 == 1]
    print("datastore_search (2 filters, total):", percentiles(mine))
    print("peer: the same select + count by hand:", percentiles(theirs))
    ratio = statistics.quantiles(mine, n=100)[98] / statistics.quantiles(theirs, n=100)[98]
    print(f"ratio p99 ours/peer: {ratio:.2f}")
    print(f"load average (1, 5, 15 min): {_load_average()} on {os.cpu_count()} CPUs")


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description="package_search and datastore_search at a size")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=5_760_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, help="embedded services in this directory, kept for the next run")
    parser.add_argument("--only", choices=["package_search", "datastore"], help="measure one of the two")
    args = parser.parse_args()
    url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    if url and nats_url:
        asyncio.run(bench(Settings.from_env(), args))
        return
    if args.data_dir:
        services = EmbeddedServices(args.data_dir)
        try:
            started = services.start()
            asyncio.run(bench(Settings(database_url=started["postgres"].url, nats_url=started["nats"].url), args))
        finally:
            services.stop()
        return
    with throwaway_services("yw-bench-opendata-") as (_, db_url, nats):
        asyncio.run(bench(Settings(database_url=db_url, nats_url=nats), args))


if __name__ == "__main__":
    main()

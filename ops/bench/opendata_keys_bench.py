"""Developer keys: what counting a call on the shared sliding window costs against the plain count it replaced.

Run by hand (never a test): embedded Postgres in a temp dir (or DATABASE_URL when set; use an empty database).

Usage: .venv/bin/python -m ops.bench.opendata_keys_bench [--calls N] [--concurrency C]

Each call is `core.opendata.keys.caller_of` with a developer key (one round trip: the key's row counted and its
window taken), against the statement it replaced (`calls + 1`, `last_used`, no window; the per-process token
bucket beside it cost microseconds). C callers run at once on one key (the worst case: they queue on its row) and
on C keys. Printed: per-call p50/p99 in ms and calls/s for each.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from core.db import connect_pool
from core.opendata import keys
from core.settings import Settings, get_settings
from ops.embedded import throwaway_services
from ops.runtime import prepare_database

PLAIN = """update opendata_api_keys set calls = calls + 1, last_used = $2 where key_hash = $1 and not revoked
           returning id::text as id, owner, is_admin, rate_per_min"""


async def run(what: str, calls: int, concurrency: int, call: Callable[[int], Awaitable[object]]) -> None:
    latencies: list[float] = []

    async def worker(w: int) -> None:
        for _ in range(calls // concurrency):
            start = time.perf_counter()
            await call(w)
            latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    took = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    print(f"{what:<34} p50 {q[49]:6.2f} ms  p99 {q[98]:6.2f} ms  {len(latencies) / took:8.0f} calls/s")


async def bench(settings: Settings, calls: int, concurrency: int) -> None:
    await prepare_database(settings)
    pool = await connect_pool(settings, max_size=concurrency + 2)
    try:
        many = [await keys.create_key(pool=pool, owner=f"bench-{i}", rate_per_min=10**9) for i in range(concurrency)]

        def windowed(pick: Callable[[int], str]) -> Callable[[int], Awaitable[object]]:
            return lambda w: keys.caller_of(pool=pool, settings=settings, authorization=pick(w), now=datetime.now(UTC))

        def plain(pick: Callable[[int], str]) -> Callable[[int], Awaitable[object]]:
            return lambda w: _plain(pool, pick(w))

        for label, pick in (("one key", lambda w: many[0]), (f"{concurrency} keys", lambda w: many[w])):
            await run(f"plain count, {label}", calls, concurrency, plain(pick))
            await run(f"shared window, {label}", calls, concurrency, windowed(pick))
    finally:
        await pool.close()


async def _plain(pool: asyncpg.Pool, key: str) -> object:
    return await pool.fetchrow(PLAIN, keys.key_hash(key), datetime.now(UTC))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        asyncio.run(bench(get_settings(), args.calls, args.concurrency))
        return
    with throwaway_services("yw-keys-bench-") as (_, database_url, nats_url):
        settings = dataclasses.replace(get_settings(), database_url=database_url, nats_url=nats_url)
        asyncio.run(bench(settings, args.calls, args.concurrency))


if __name__ == "__main__":
    main()

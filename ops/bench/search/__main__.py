"""`python -m ops.bench.search --docs N`: index N generated documents, then time the same queries everywhere."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp
import asyncpg

from core.db import migrate
from core.search.models import SearchRequest
from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine
from core.search.tantivy_rebuild import prepare
from core.search.tantivy_store import DEFAULT_SHARDS
from ops.bench.search import postgres
from ops.bench.search.corpus import documents, queries
from ops.bench.search.events import index_through_events
from ops.embedded import free_port, port_open, throwaway_services

PREFIXES = ["社", "社会保", "长期护", "公积金", "shebao", "sheb", "gjj", "cqhl", "zfgjj", "广州市人", "rcgy", "jiuye"]
SEARCH = "query($q: String!) { search(query: $q, pageSize: 10) { total hits { title url } } }"
# What a portal's results page asks for: highlighted hits, facets, scenes and the interpreted query.
RESULTS_PAGE = """query($q: String!) { search(query: $q, pageSize: 10) {
  searchId total didYouMean related
  hits { documentId url titleHighlighted snippet site kind publishedAt docNo issuer pinned position }
  facets { field values { value count } }
  scenes { key name count hits { title url } }
  interpreted { searched message } } }"""
SUGGEST = "query($p: String!) { suggest(prefix: $p, limit: 8) { text } }"


def pct(ms: Sequence[float], p: float) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(
    fn: Callable[[str], Awaitable[object]], items: Sequence[str], rounds: int, answered: list[str] | None = None
) -> list[float]:
    """Milliseconds per call over `rounds` passes after one warm-up pass; `answered` collects the items
    the warm-up found something for (a peer that finds nothing is not faster)."""
    for item in items:  # warm caches once; measure the rounds after
        found = await fn(item)
        if answered is not None and found:
            answered.append(item)
    out = []
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter()
            await fn(item)
            out.append((time.perf_counter() - started) * 1000)
    return out


def rss_mb(pid: int) -> tuple[float, float]:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


async def index(engine: TantivyEngine, n: int, batch: int) -> dict[str, float]:
    """End to end through the engine's upsert (analysis with jieba, then tantivy), then where the time goes."""
    started, done = time.perf_counter(), 0
    while done < n:
        await engine.upsert(list(documents(min(batch, n - done), done)))
        done += batch
    total = time.perf_counter() - started
    sample = list(documents(1000, n + 1))
    t0 = time.perf_counter()
    prepared = prepare(sample)
    analyse = time.perf_counter() - t0
    gen_t0 = time.perf_counter()
    list(documents(1000, n + 1))
    generate = time.perf_counter() - gen_t0
    return {
        "docs": n,
        "seconds": total,
        "docs_per_s": n / total,
        "analysis_share": analyse / (total / n * 1000),
        "analysis_docs_per_s": 1000 / analyse,
        "generate_docs_per_s": 1000 / generate,
        "prepared": len(prepared),
    }


async def run(args: argparse.Namespace, tmp: Path, db_url: str, nats_url: str) -> dict[str, object]:
    data = args.data_dir or tmp / "data"
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
    await migrate(pool)
    engine = TantivyEngine(data, shards=args.shards)
    await engine.open()
    report: dict[str, object] = {}
    if args.data_dir is None:
        report["indexing"] = await index(engine, args.docs, args.batch)
        print("indexed", report["indexing"], file=sys.stderr, flush=True)
    else:
        report["reused_index_docs"] = await engine.count()
    if not args.skip_peers:
        report["postgres_load"] = await postgres.load(pool, documents(args.docs), trgm=not args.skip_trgm)
        print("postgres loaded", report["postgres_load"], file=sys.stderr, flush=True)
    qs = queries()
    latency = await time_in_process(args, engine, pool, qs, report)
    for name, ms in latency.items():  # said before the API starts, so a failing API loses nothing measured
        print(f"{name}: p50 {pct(ms, 50):.2f} ms, p99 {pct(ms, 99):.2f} ms", file=sys.stderr, flush=True)
    env = {"DATABASE_URL": db_url, "NATS_URL": nats_url, "DATA_DIR": str(data)}
    report["api_rss_mb"], report["api_peak_rss_mb"] = await time_api(args, env, qs, latency)
    report["latency_ms"] = {
        k: {"n": len(v), "p50": pct(v, 50), "p99": pct(v, 99), "mean": statistics.fmean(v)} for k, v in latency.items()
    }
    report["queries"] = len(qs)
    await engine.close()
    await pool.close()
    if args.events:  # last, so its importer and projector processes disturb nothing timed before
        report["indexing_from_events"] = await index_through_events(db_url, nats_url, data, args.events)
        print("indexed from events", report["indexing_from_events"], file=sys.stderr, flush=True)
    return report


async def time_in_process(
    args: argparse.Namespace, engine: TantivyEngine, pool: asyncpg.Pool, qs: list[str], report: dict[str, object]
) -> dict[str, list[float]]:
    """The engine, the Postgres peers and the SearchService, timed in this process."""

    async def engine_search(q: str) -> object:
        return (await engine.search(SearchRequest(query=q, limit=10))).hits

    answered: dict[str, list[str]] = {"engine": [], "postgres_fts": [], "pg_trgm": []}
    latency = {"engine": await timed(engine_search, qs, args.rounds, answered["engine"])}
    print("engine timed", file=sys.stderr, flush=True)
    peer_rounds = args.peer_rounds or args.rounds
    if not args.skip_peers:
        latency["postgres_fts"] = await timed(
            lambda q: postgres.fts(pool, q), qs, peer_rounds, answered["postgres_fts"]
        )
        print("postgres FTS timed", file=sys.stderr, flush=True)
    if not args.skip_trgm and not args.skip_peers:
        latency["pg_trgm"] = await timed(lambda q: postgres.trgm(pool, q), qs, peer_rounds, answered["pg_trgm"])
    report["queries_with_hits"] = {name: len(found) for name, found in answered.items() if name in latency}
    service = SearchService(engine)
    latency["service"] = await timed(lambda q: service.search(q), qs, args.rounds)
    latency["suggest_service"] = await timed(lambda p: service.suggest(p, 8), PREFIXES, args.rounds * 5)
    await service.close()
    return latency


async def time_api(
    args: argparse.Namespace, env: dict[str, str], qs: list[str], latency: dict[str, list[float]]
) -> tuple[float, float]:
    """Time the queries through a real API process (added to `latency`); returns its RSS and peak RSS in MB."""
    port = free_port()
    # the benchmark's load comes from one address: the per-client rate limit would time the 429s
    env = {
        **os.environ,
        **env,
        "PORT": str(port),
        "BROKER_URL": "stub://",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MIN": "0",
    }
    api = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is timed
        [sys.executable, "-m", "ops.bench.search.api"], env=env
    )
    try:
        while not port_open(port):
            if api.poll() is not None:
                raise SystemExit("the API did not start")
            await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{port}/graphql"
        async with aiohttp.ClientSession() as http:

            async def gql(body: dict[str, object]) -> object:
                async with http.post(url, json=body) as response:
                    assert response.status == 200, await response.text()
                    out = await response.json()
                    if out.get("errors"):  # a fast error is not a fast answer
                        raise SystemExit(f"GraphQL answered with errors: {out['errors']}")
                    return out

            latency["graphql"] = await timed(lambda q: gql({"query": SEARCH, "variables": {"q": q}}), qs, args.rounds)
            latency["graphql_page"] = await timed(
                lambda q: gql({"query": RESULTS_PAGE, "variables": {"q": q}}), qs, args.rounds
            )
            latency["suggest_graphql"] = await timed(
                lambda p: gql({"query": SUGGEST, "variables": {"p": p}}), PREFIXES, args.rounds * 5
            )
        return rss_mb(api.pid)
    finally:
        api.terminate()
        api.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000, help="documents per engine upsert (one commit each)")
    parser.add_argument("--rounds", type=int, default=5, help="times each query is timed")
    parser.add_argument("--peer-rounds", type=int, default=0, help="rounds for the Postgres peers (default: --rounds)")
    parser.add_argument(
        "--events",
        type=int,
        default=20_000,
        help="documents also indexed the production way, import → events → projector (0: skip)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="time an index built before (by an earlier run's indexing) "
        "instead of building one; its DATA_DIR holds search/documents",
    )
    parser.add_argument(
        "--shards", type=int, default=DEFAULT_SHARDS, help="shards of the index built (an index reused keeps its own)"
    )
    parser.add_argument("--skip-peers", action="store_true", help="no Postgres peers (ratios need them)")
    parser.add_argument("--skip-trgm", action="store_true", help="leave out pg_trgm (seconds a query at 1M documents)")
    args = parser.parse_args()
    with throwaway_services("yw-search-bench-") as (tmp, db_url, nats_url):
        report = asyncio.run(run(args, tmp, db_url, nats_url))
    report["machine"] = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    lat = report["latency_ms"]
    assert isinstance(lat, dict)
    print(f"{'path':16} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, row in lat.items():
        print(f"{name:16} {row['p50']:8.2f} {row['p99']:8.2f} {row['mean']:8.2f}")
    for peer in [p for p in ("postgres_fts", "pg_trgm") if p in lat]:
        print(
            f"engine vs {peer}: p50 {lat[peer]['p50'] / lat['engine']['p50']:.1f}x, "
            f"p99 {lat[peer]['p99'] / lat['engine']['p99']:.1f}x faster"
        )
    for name in ("indexing", "indexing_from_events"):
        row = report.get(name)
        if isinstance(row, dict):
            print(f"{name}: {row['docs']} documents, {row['docs_per_s']:.0f} docs/s")
    print(json.dumps(report, ensure_ascii=False, default=float))


if __name__ == "__main__":
    main()

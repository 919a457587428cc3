"""`python -m ops.bench.live_memory`: does the web's memory grow with each burst of live `documentChanged` deliveries?

The soak of docs/operations.md ("30 minutes with live changes") saw the web's anonymous memory step up ~10 MB at
each crawl burst (~120 changed documents × 50 subscribers) and stay flat between them. This bench repeats that
alone: embedded Postgres and NATS in a temp DATA_DIR, `yiwang consumers` (the indexer publishes each
DocumentChanged after its commit, the projector makes it searchable) and `yiwang web` as child processes,
--subscribers graphql-transport-ws subscriptions held, then --bursts imports of --events new documents each. After
each burst has reached every subscriber, a search and a document suggestion are asked, as the soak's users do: the
search starts the web's vocabulary rebuild (the index's count moved), which ends in gc.freeze (core/heap.py). After
--settle seconds it prints the web's RssAnon (/proc/PID/status), the objects gc.freeze holds and those the collector
tracks, and with --tracemalloc the Python heap the web traces and its largest growth since the first burst. At the
end the web unfreezes its heap and collects: what that finds is garbage a freeze kept. The web runs inside this
module (`--child`), which reports on SIGUSR1 and SIGUSR2; the product runs unchanged. `--env NAME=VALUE` adds to
the web's environment (e.g. MALLOC_ARENA_MAX=2). Run by hand (3-5 minutes; --tracemalloc is much slower)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import linecache
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import asyncpg

from core.bus import Bus
from core.documents.importer import import_documents
from core.settings import Settings
from core.sites import add_site_if_missing
from ops.bench.load.live import Subscriber, subscribers
from ops.embedded import EmbeddedServices, free_port
from ops.runtime import prepare_database

SITE = "bench-live"
TRACE_ENV = "YW_BENCH_TRACEMALLOC"  # read only by --child: "FRAMES:FILE", how deep to trace and where to report
TOP = 8
QUERY = '{ search(query: "养老服务补贴") { total } suggestDocuments(prefix: "养老") { key } }'


# --- the web, as `yiwang web` runs it, with tracemalloc reports on SIGUSR1 when TRACE_ENV is set -------------------


def child(port: int) -> None:
    from ops.cli import main as yiwang

    frames, _, report = os.environ.pop(TRACE_ENV, "0:").partition(":")
    if int(frames):
        tracemalloc.start(int(frames))
    ours = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, linecache.__file__)]
    first: list[tracemalloc.Snapshot] = []

    def dump(signum: int, frame: FrameType | None) -> None:
        state: dict[str, object] = {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()), "top": []}
        if tracemalloc.is_tracing():
            snap = tracemalloc.take_snapshot().filter_traces(ours)  # not the reports' own reading of source lines
            first[:] = first or [snap]
            state["top"] = [
                {"size_kb": s.size_diff / 1024, "count": s.count_diff, "where": s.traceback.format()[-6:]}
                for s in snap.compare_to(first[0], "traceback")[:TOP]
            ]
            # the heap's own, not the first snapshot kept for comparison (~15 MB, allocated by tracemalloc.py)
            state["traced_mb"] = sum(s.size for s in snap.statistics("filename")) / 2**20
        Path(report).write_text(json.dumps(state, ensure_ascii=False))

    def thaw(signum: int, frame: FrameType | None) -> None:
        """How much garbage gc.freeze has kept: what a collection finds once everything is unfrozen."""
        traced = tracemalloc.get_traced_memory()[0]
        gc.unfreeze()
        found = gc.collect()
        freed = (traced - tracemalloc.get_traced_memory()[0]) / 2**20
        Path(report).write_text(json.dumps({"unreachable": found, "freed_mb": freed}))

    if report:
        signal.signal(signal.SIGUSR1, dump)
        signal.signal(signal.SIGUSR2, thaw)
    yiwang(["web", "--port", str(port)])


# --- the bench ---------------------------------------------------------------------------------------------------


def rss_anon_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no RssAnon for {pid}")


def documents(n: int, burst: int) -> list[str]:
    token = secrets.token_hex(3)
    return [
        json.dumps(
            {
                "url": f"http://{SITE}.bench.invalid/{burst}/{token}-{i}.html",
                "title": f"关于调整{burst}批养老服务补贴标准的通知{token}{i}",
                "text": f"养老服务补贴标准调整，第{burst}批第{i}件。" * 20,
            },
            ensure_ascii=False,
        )
        for i in range(n)
    ]


class Processes:
    """The consumers and the web, started on the services in `data_dir`; stopped on exit."""

    def __init__(self, env: dict[str, str], port: int, web_env: dict[str, str]) -> None:
        run = [sys.executable, "-m"]
        self.consumers = subprocess.Popen([*run, "ops", "consumers"], env=env, start_new_session=True)
        self.web = subprocess.Popen(
            [*run, "ops.bench.live_memory", "--child", str(port)], env=env | web_env, start_new_session=True
        )

    def stop(self) -> None:
        for proc in (self.web, self.consumers):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (self.web, self.consumers):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def ready(url: str, web: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        for _ in range(300):
            if web.poll() is not None:
                raise SystemExit("the web exited")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(url.replace("/graphql", "/healthz")) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(1)
    raise SystemExit("the web did not answer /healthz in 5 minutes")


async def ask(url: str) -> None:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session,
        session.post(url, json={"query": QUERY}) as resp,
    ):
        body = await resp.json()
        if body.get("errors"):
            raise SystemExit(f"query failed: {body['errors']}")


async def delivered(subs: list[Subscriber], expected: int, wait_s: float = 60.0) -> int:
    """Wait until every open subscriber has `expected` events; how many have."""
    for _ in range(int(wait_s * 10)):
        if all(s.events >= expected for s in subs if s.error is None):
            break
        await asyncio.sleep(0.1)
    return sum(1 for s in subs if s.events >= expected)


def child_report(pid: int, path: Path, signum: int) -> dict[str, Any]:
    """Signal the web (`child`) and read the report it writes (a deep trace's snapshot takes minutes)."""
    path.unlink(missing_ok=True)
    os.kill(pid, signum)
    for _ in range(6000):
        if path.exists() and path.stat().st_size:
            time.sleep(0.2)
            return dict(json.loads(path.read_text()))
        time.sleep(0.1)
    raise SystemExit("the web wrote no heap report in 10 minutes")


def columns(heap: dict[str, Any]) -> str:
    traced = f"{heap['traced_mb']:.1f}" if "traced_mb" in heap else ""
    return f"| {traced} | {heap['frozen']} | {heap['tracked']} |"


def growth(heap: dict[str, Any]) -> None:
    print("largest Python-heap growth since burst 1 (KB, blocks, where, innermost frames last):")
    for site in heap["top"]:
        where = " | ".join(w.strip() for w in site["where"])
        print(f"  {site['size_kb']:+9.0f} KB {site['count']:+7d}  {where}")


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    services = EmbeddedServices(data_dir).start()
    try:
        await measure(args, data_dir, services["postgres"].url, services["nats"].url)
    finally:  # whatever failed, the embedded services stop with the bench
        await asyncio.to_thread(EmbeddedServices(data_dir).stop)


async def measure(args: argparse.Namespace, data_dir: Path, database_url: str, nats_url: str) -> None:
    settings = Settings(database_url=database_url, nats_url=nats_url, data_dir=data_dir)
    await prepare_database(settings)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    await add_site_if_missing(pool, site_id=SITE, name="live memory bench", level="市")
    bus = await Bus(settings, name="live-memory-bench").connect()
    await bus.ensure_streams()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", TRACE_ENV)}
    env |= {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": settings.database_url or "",
        "NATS_URL": settings.nats_url or "",
        "PORT": str(port),
        "TRUSTED_PROXIES": "127.0.0.1",
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
    }
    report = data_dir / "heap.json"
    frames = args.frames if args.tracemalloc else 0
    web_env = dict(e.split("=", 1) for e in args.env) | {TRACE_ENV: f"{frames}:{report}"}
    procs = Processes(env, port, web_env)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        await ready(url, procs.web)
        await import_documents(pool, bus, documents(args.events, 0), default_site=SITE, wait_timeout_s=120)
        await ask(url)  # the vocabulary, the title index and the live title listener start
        await asyncio.sleep(args.settle)
        print(f"web pid {procs.web.pid}; env {' '.join(args.env) or '(as is)'}; tracemalloc {bool(frames)}")
        async with subscribers(url, args.subscribers) as subs:
            await asyncio.sleep(3)
            print(f"{args.subscribers} subscriptions held; RssAnon {rss_anon_mb(procs.web.pid):.1f} MB")
            print("| burst | deliveries | RssAnon MB | Δ MB | traced MB | frozen | tracked |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            last, heap = None, {}
            for burst in range(1, args.bursts + 1):
                lines = documents(args.events, burst)
                await import_documents(pool, bus, lines, default_site=SITE, wait_timeout_s=120)
                got = await delivered(subs, burst * args.events)
                await asyncio.sleep(5.5)  # the web checks its index's count at most every 5 s
                await ask(url)
                await asyncio.sleep(args.settle)
                await ask(url)
                rss = rss_anon_mb(procs.web.pid)
                heap = await asyncio.to_thread(child_report, procs.web.pid, report, signal.SIGUSR1)
                step = "" if last is None else f"{rss - last:+.1f}"
                print(f"| {burst} | {got}×{args.events} | {rss:.1f} | {step} {columns(heap)}")
                last = rss
            if heap["top"]:
                growth(heap)
            rss = rss_anon_mb(procs.web.pid)
            thawed = await asyncio.to_thread(child_report, procs.web.pid, report, signal.SIGUSR2)
            print(
                f"frozen garbage: unfrozen and collected, {thawed['unreachable']} objects unreachable"
                f" ({thawed['freed_mb']:.1f} MB traced); RssAnon {rss:.1f} → {rss_anon_mb(procs.web.pid):.1f} MB"
            )
    finally:
        procs.stop()
        await bus.close()
        await pool.close()


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
        return
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--events", type=int, default=120, help="documents imported per burst")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after the queries before measuring")
    parser.add_argument("--tracemalloc", action="store_true", help="trace the web's Python heap (slower)")
    parser.add_argument("--frames", type=int, default=1, help="frames traced per allocation (--tracemalloc)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the web's environment")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yw-live-memory-") as tmp:
        asyncio.run(run(args, Path(tmp) / "data"))


if __name__ == "__main__":
    main()

"""`python -m ops.bench.web_convoy`: the web process' request latency while one of its threads works in Python.

Run by hand (never a test). The web process builds some of its caches in threads (`asyncio.to_thread`): the
suggestions' title index on every batch of changed documents (core/search/title_cache.py), the search lexicon, the
Q&A knowledge base. A thread holding the GIL gives it up only every `sys.getswitchinterval()` (CPython: 5 ms), and
the event loop gives it up at every socket call (each query, each response): with the default it may wait up to
5 ms to go on after each one, the convoy py-spy showed in the consumers process (docs/benchmarks.md).

The real app (api.app.create_app) serves on a free port over embedded Postgres and NATS in a temp dir; a client in
another process sends one small GraphQL query at a time (`sites` and `documents`: a few Postgres round trips) for
`--seconds`, and the server process meanwhile either idles or rebuilds a title index of `--titles` documents over and
over in a thread, at the default switch interval and at the one the web process sets
(ops.cli.procs.WEB_SWITCH_INTERVAL_S; `--switch-ms` another). Each case runs `--rounds` times, alternated, so the
machine's other load falls on both.
Printed per case: requests, p50/p95/p99 in ms, and the thread's builds per second (what the smaller interval costs the
thread). Usage: .venv/bin/python -m ops.bench.web_convoy [--seconds 10] [--rounds 4] [--titles 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import statistics
import sys
import threading
import time
import urllib.request
from typing import Any

import uvicorn

from api.app import create_app
from core.db import connect_pool, migrate
from core.search.titles import TitleDoc, TitleIndex
from core.settings import Settings
from ops.embedded import throwaway_services
from ops.processes import free_port

QUERY = "{ sites { id name } documents(pageSize: 5) { total items { id title } } }"
DEFAULT_SWITCH_S = 0.005
WORDS = "社会保险 医疗保障 公积金 营业执照 不动产 登记 办理 指南 通知 公告 政策 解读 关于 印发 实施 意见 办法 申请 材料"


def titles(n: int) -> list[TitleDoc]:
    words = WORDS.split()
    return [
        TitleDoc(
            id=f"d{i}",
            title="关于" + "".join(words[(i * k) % len(words)] for k in (3, 5, 7, 11)) + f"的通知（第{i}号）",
            url=f"https://demo.gov.cn/{i}.html",
            site="demo",
            kind="notice",
        )
        for i in range(n)
    ]


class Builder(threading.Thread):
    """Builds the title index over and over until stopped: a web process' cache rebuild that never ends."""

    def __init__(self, docs: list[TitleDoc]) -> None:
        super().__init__(daemon=True)
        self.docs, self.builds, self.stopped = docs, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            TitleIndex(self.docs)
            self.builds += 1


def client(url: str, seconds: float, out: Any) -> None:
    """In its own process (its own GIL): one request at a time, latencies in ms."""
    body = json.dumps({"query": QUERY}).encode()
    ms: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        request = urllib.request.Request(url, body, {"content-type": "application/json"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        ms.append((time.perf_counter() - t0) * 1000)
    out.send(ms)


def quantiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"{len(ms):6d} requests  p50 {q[49]:6.2f}  p95 {q[94]:6.2f}  p99 {q[98]:6.2f} ms"


async def case(url: str, seconds: float, builder: Builder | None, switch_s: float) -> tuple[list[float], float]:
    sys.setswitchinterval(switch_s)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(target=client, args=(url, seconds, sender))
    start = builder.builds if builder else 0
    t0 = time.monotonic()
    process.start()
    ms: list[float] = await asyncio.to_thread(receiver.recv)
    process.join()
    rate = ((builder.builds - start) / (time.monotonic() - t0)) if builder else 0.0
    return ms, rate


async def bench(settings: Settings, seconds: float, n_titles: int, web_switch_s: float, rounds: int) -> None:
    pool = await connect_pool(settings, max_size=2)
    try:
        await migrate(pool)
    finally:
        await pool.close()
    port = free_port()
    config = uvicorn.Config(
        create_app(dataclasses.replace(settings, port=port, broker_url="stub://", rate_limit_per_min=0)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn sets a flag, no event)
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        await case(url, 3, None, DEFAULT_SWITCH_S)  # warm: schema, pool, caches
        builder = Builder(titles(n_titles))
        idle, _ = await case(url, seconds, None, DEFAULT_SWITCH_S)
        builder.start()
        small = f"thread, {web_switch_s * 1000:g} ms"
        pooled: dict[str, tuple[list[float], list[float]]] = {"thread, 5 ms": ([], []), small: ([], [])}
        for round_ in range(rounds):  # alternated, in turn first: the machine's other load falls on both
            order = [("thread, 5 ms", DEFAULT_SWITCH_S), (small, web_switch_s)]
            for label, switch_s in order if round_ % 2 == 0 else order[::-1]:
                ms, rate = await case(url, seconds, builder, switch_s)
                pooled[label][0].extend(ms)
                pooled[label][1].append(rate)
        builder.stopped.set()
        builder.join()
        print(
            f"web process, {n_titles} titles rebuilt in a thread, {rounds} x {seconds:g} s per case,"
            " one request at a time"
        )
        print(f"  {'idle, 5 ms':<18}{quantiles(idle)}")
        for label, (ms, rates) in pooled.items():
            print(f"  {label:<18}{quantiles(ms)}  thread {statistics.median(rates):5.2f} builds/s (median)")
        p99 = {label: statistics.quantiles(ms, n=100, method="inclusive")[98] for label, (ms, _) in pooled.items()}
        p50 = {label: statistics.median(ms) for label, (ms, _) in pooled.items()}
        speed = {label: statistics.median(rates) for label, (_, rates) in pooled.items()}
        base = "thread, 5 ms"
        print(
            f"  {small.split(', ')[1]} against 5 ms: p50 x{p50[small] / p50[base]:.2f},"
            f" p99 x{p99[small] / p99[base]:.2f}"
            f" (below 1: faster requests), thread builds/s x{speed[small] / speed[base]:.2f}"
        )
    finally:
        server.should_exit = True
        await serving
        sys.setswitchinterval(DEFAULT_SWITCH_S)


def main() -> None:
    from ops.cli.procs import WEB_SWITCH_INTERVAL_S

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--titles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=4, help="each case this many times, alternated")
    parser.add_argument(
        "--switch-ms", type=float, default=WEB_SWITCH_INTERVAL_S * 1000, help="the interval against 5 ms"
    )
    args = parser.parse_args()
    with throwaway_services("yiwang-convoy-") as (tmp, database_url, nats_url):
        settings = Settings(database_url=database_url, nats_url=nats_url, data_dir=tmp)
        asyncio.run(bench(settings, args.seconds, args.titles, args.switch_ms / 1000, args.rounds))


if __name__ == "__main__":
    main()

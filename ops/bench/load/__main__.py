"""`python -m ops.bench.load`: the locust scenario (locustfile.py) at rising rates against `yiwang up` (demo site
group, embedded services in a temp DATA_DIR) or a given URL, with live subscriptions held throughout; per step
requests/s, p50/p95/p99, errors, and each mesh process' CPU%, RSS and CPU-seconds per request; then the knee
(the rate at which p99 passes 100 ms). Run by hand (minutes); its output is pasted into docs/operations.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from ops.bench.load.live import subscribers
from ops.bench.load.mesh import (
    Sample,
    add_target_arguments,
    attach_or_start,
    load_average,
    mesh_processes,
    pg_port_of,
    sample,
)
from ops.bench.load.stats import KNEE_MS, Step, gc_pauses, knee, parse_locust_stats, server_quantiles
from ops.up import DEMO_LOADED

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DEMO_SITES = ("demo-portal", "demo-dept", "demo-county")


async def wait_for_documents(url: str, at_least: int = 100, timeout: float = 600) -> list[str]:
    """Wait until the demo sites' crawl stored `at_least` documents; their URLs (the `document` queries' targets)."""
    query = "query($s: ID!) { documents(site: $s, pageSize: 100) { items { url } } }"
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            urls: list[str] = []
            for site in DEMO_SITES:
                async with session.post(url, json={"query": query, "variables": {"s": site}}) as resp:
                    body = await resp.json()
                urls += [d["url"] for d in ((body.get("data") or {}).get("documents") or {"items": []})["items"]]
            if len(urls) >= at_least or time.monotonic() > deadline:
                return urls
            await asyncio.sleep(5)


async def locust_step(url: str, users: int, seconds: int, workdir: Path, env: dict[str, str]) -> Step:
    """One headless locust run of `users` users for `seconds`; its aggregate."""
    prefix = workdir / f"step-{users}"
    argv = ["-f", str(LOCUSTFILE), "--headless", "--only-summary", "--skip-log-setup", "-u", str(users)]
    argv += ["-r", str(max(1, users)), "--run-time", f"{seconds}s", "--host", url.removesuffix("/graphql")]
    argv += ["--csv", str(prefix), "--exit-code-on-error", "0", "--stop-timeout", "5"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "locust",
        *argv,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    return read_step(prefix, users * float(env["YW_LOAD_RATE"]), f"exit {proc.returncode}: {err.decode()[-2000:]}")


def backlog(metrics_text: str) -> float:
    """Events the consumers have not yet delivered or acked, from a /metrics page (nan when it names none)."""
    total, seen = 0.0, False
    for line in metrics_text.splitlines():
        if line.startswith(("yw_consumer_pending{", "yw_consumer_ack_pending{")):
            total, seen = total + float(line.rsplit(" ", 1)[1]), True
    return total if seen else float("nan")


async def settle(url: str, quiet_s: float, timeout: float, data_dir: Path | None = None) -> tuple[int, float]:
    """Wait until the demos `up` loads in the background are loaded (DATA_DIR/demo/loaded, when the DATA_DIR
    is known), no consumer has a backlog and no DocumentChanged arrived for `quiet_s`: the disclosure demo
    creates thousands of documents, in bursts with lulls between them, and a lull alone is not the end of it.
    Events seen and seconds waited."""
    started = time.monotonic()
    marker = data_dir / DEMO_LOADED if data_dir and (data_dir / DEMO_LOADED.parent).is_dir() else None  # a demo
    metrics = url.removesuffix("/graphql") + "/metrics"
    async with subscribers(url, 1) as (listener,), aiohttp.ClientSession() as session:
        seen, last = 0, time.monotonic()
        while time.monotonic() - started < timeout:
            await asyncio.sleep(1)
            async with session.get(metrics) as resp:
                busy = backlog(await resp.text()) > 0 if resp.status == 200 else False
            if listener.events != seen or busy or (marker is not None and not marker.exists()):
                seen, last = listener.events, time.monotonic()
            elif time.monotonic() - last >= quiet_s:
                break
    return seen, time.monotonic() - started


async def metrics_page(url: str) -> str:
    """The web's /metrics page ('' when it does not answer 200)."""
    async with aiohttp.ClientSession() as session, session.get(url.removesuffix("/graphql") + "/metrics") as resp:
        return await resp.text() if resp.status == 200 else ""


def children_cpu_s() -> float:
    """CPU-seconds of this process' ended children: the difference over a step is its locust's."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def client_and_server(step: Step, before: str, after: str, locust_s: float, wall: float) -> str:
    """The server's own percentiles beside the client's (what is left is the client's and the network's), and
    the load generator's CPU: a locust near one core is the bench's limit, not the web's."""
    p50, p99 = server_quantiles(before, after)
    per = locust_s / step.requests * 1000 if step.requests else float("nan")
    pauses = gc_pauses(before, after)
    gc_line = ", ".join(f"gen{g} {n}× {took * 1000:.0f} ms" for g, (n, took) in pauses.items())
    return (
        f"server p50 <= {p50:.0f} p99 <= {p99:.0f} ms (yw_http_request_seconds buckets); "
        f"locust {locust_s / wall * 100:.0f}% of a core, {per:.2f} ms CPU/req"
        + (f"; web gc {gc_line}" if gc_line else "")
    )


def read_step(prefix: Path, target: float, why: str) -> Step:
    """The step's aggregate from locust's CSV files (its first failures printed)."""
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust wrote no stats ({why})")
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists() and len(lines := failures.read_text().splitlines()) > 1:
        print("    failures: " + " | ".join(lines[1:4]))
    return parse_locust_stats(stats.read_text(), target)


def process_lines(before: dict[str, Sample], after: dict[str, Sample], wall: float, requests: int) -> list[str]:
    """Per process: CPU% over the step, RSS, CPU-ms per request."""
    out = []
    for label, end in after.items():
        used = end.cpu_s - before[label].cpu_s if label in before else 0.0
        per = used / requests * 1000 if requests else float("nan")
        out.append(f"{label} {used / wall * 100:.0f}% {end.rss_mb:.0f}MB {per:.2f}ms/req")
    return out


async def run(args: argparse.Namespace) -> list[Step]:
    up, url, data_dir = await attach_or_start(args.url, args.data_dir, args.scale, args.verbose)
    steps: list[Step] = []
    try:
        urls = await wait_for_documents(url)
        workdir = Path(tempfile.mkdtemp(prefix="yw-locust-"))
        fixture = workdir / "fixture.json"
        fixture.write_text(json.dumps({"urls": urls}))
        env = os.environ | {"YW_LOAD_FIXTURE": str(fixture), "YW_LOAD_RATE": str(args.rate)}
        if args.settle:
            events, waited = await settle(url, args.settle, timeout=1800, data_dir=data_dir)
            print(f"settled: {events} document changes in {waited:.0f} s, then {args.settle:.0f} s without one")
        procs, pg_port = mesh_processes(up, data_dir, url), pg_port_of(data_dir)
        print(f"mesh at {url}: {', '.join(procs)}; {len(urls)} document URLs; load average {load_average()}")
        async with subscribers(url, args.subscribers) as subs:
            print(f"  {sum(1 for s in subs if s.error is None)}/{args.subscribers} live documentChanged subscriptions")
            for users in args.users:
                page, locust_cpu = await metrics_page(url), children_cpu_s()
                before, started = sample(procs, pg_port), time.monotonic()
                step = await locust_step(url, users, args.seconds, workdir, env)
                wall = time.monotonic() - started
                served = client_and_server(step, page, await metrics_page(url), children_cpu_s() - locust_cpu, wall)
                steps.append(step)
                print(
                    f"  {step.target:5.1f}/s asked: {step.rps:5.1f} req/s, p50 {step.p50:.0f} p95 {step.p95:.0f} "
                    f"p99 {step.p99:.0f} ms, errors {step.failures}/{step.requests}; load {load_average()}"
                )
                print("    " + "; ".join(process_lines(before, sample(procs, pg_port), wall, step.requests)))
                print("    " + served)
                if step.p99 > 4 * KNEE_MS or step.error_rate > 0.01:
                    break
            print(f"  subscriptions still open: {sum(1 for s in subs if s.error is None)}")
        print(summary(steps))
        print(f"load average after: {load_average()}")
    finally:
        if up is not None:
            print(f"stopped in {await up.stop():.1f} s")
    return steps


def summary(steps: list[Step]) -> str:
    below, past = knee(steps)
    if below is None:
        return f"knee: below the first step (p99 {steps[0].p99:.0f} ms at {steps[0].rps:.1f} req/s)" if steps else ""
    errors = sum(s.failures for s in steps if s.target <= below.target)
    at = f"; p99 passes {KNEE_MS:.0f} ms at {past.rps:.1f} req/s" if past else "; not passed at the last step"
    return f"knee: {below.rps:.1f} req/s with p99 {below.p99:.0f} ms{at}; errors up to the knee: {errors}"


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows when redirected
    parser = argparse.ArgumentParser(description=__doc__)
    add_target_arguments(parser)
    parser.add_argument("--users", default="2,4,8,16,32", help="users of each step, comma-separated")
    parser.add_argument("--rate", type=float, default=1.0, help="requests/s of each user")
    parser.add_argument("--seconds", type=int, default=30, help="length of each step")
    parser.add_argument("--subscribers", type=int, default=50, help="documentChanged subscriptions held meanwhile")
    parser.add_argument("--settle", type=float, default=20.0, help="quiet seconds first (0: none)")
    args = parser.parse_args()
    args.users = [int(u) for u in args.users.split(",")]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

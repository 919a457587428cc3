"""`python -m ops.bench.soak --minutes 30`: the locust mix at a steady rate (about half the knee) with live
subscriptions and a crawl of every demo site every few minutes; each minute the RSS, open fds and Postgres
connections of every mesh process and that minute's p99; then the verdict (RSS growth < 10% after warm-up,
fds and connections flat). Run by hand; its table is pasted into docs/operations.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

import aiohttp

from ops.bench.load.__main__ import DEMO_SITES, locust_step, settle, wait_for_documents
from ops.bench.load.live import subscribers
from ops.bench.load.mesh import Sample, add_target_arguments, attach_or_start, load_average, mesh_processes, pg_port_of
from ops.bench.load.mesh import sample as sample_mesh
from ops.bench.load.stats import judge_soak

CRAWL = "mutation($s: ID!) { crawlSite(site: $s, full: true) { state } }"


async def crawl_all(url: str, token: str) -> None:
    """Queue a full crawl of each demo site (the worker runs them; changes reach the subscribers)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for site in DEMO_SITES:
            async with session.post(url, json={"query": CRAWL, "variables": {"s": site}}) as resp:
                body = await resp.json()
            if "errors" in body:
                print(f"    crawlSite {site}: {body['errors'][0]['message']}")


def row(minute: int, p99: float, rps: float, errors: int, samples: dict[str, Sample], events: int) -> str:
    cells = [f"{s.rss_mb:.0f}/{s.fds:.0f}/{s.pg_conns:.0f}" for s in samples.values()]
    return f"| {minute} | {rps:.1f} | {p99:.0f} | {errors} | {events} | " + " | ".join(cells) + " |"


async def run(args: argparse.Namespace) -> None:
    token = secrets.token_urlsafe(24)
    up, url, data_dir = await attach_or_start(args.url, args.data_dir, args.scale, args.verbose, {"ADMIN_TOKEN": token})
    token = os.environ.get("YW_SOAK_ADMIN_TOKEN", token) if up is None else token
    try:
        urls = await wait_for_documents(url)
        if args.settle:
            events, waited = await settle(url, args.settle, timeout=1800, data_dir=data_dir)
            print(f"settled: {events} document changes in {waited:.0f} s, then {args.settle:.0f} s without one")
        workdir = Path(tempfile.mkdtemp(prefix="yw-soak-"))
        (workdir / "fixture.json").write_text(json.dumps({"urls": urls}))
        env = os.environ | {"YW_LOAD_FIXTURE": str(workdir / "fixture.json"), "YW_LOAD_RATE": str(args.rate)}
        procs, pg_port = mesh_processes(up, data_dir, url), pg_port_of(data_dir)
        print(f"soak of {url} for {args.minutes} min at {args.users} users × {args.rate}/s; load {load_average()}")
        print("anonymous memory MB (RSS less file and shared pages) / open fds / Postgres connections per process")
        print("| min | req/s | p99 ms | errors | live events | " + " | ".join(procs) + " |")
        print("|" + " --- |" * (5 + len(procs)))
        series: dict[str, dict[str, list[float]]] = {"rss": {}, "fds": {}, "conns": {}}
        async with subscribers(url, args.subscribers) as subs:
            for minute in range(1, args.minutes + 1):
                if minute % args.crawl_every == 1 or args.crawl_every == 1:
                    await crawl_all(url, token)
                step = await locust_step(url, args.users, 60, workdir, env)
                now = sample_mesh(procs, pg_port)
                for label, s in now.items():
                    series["rss"].setdefault(label, []).append(s.rss_mb)
                    series["fds"].setdefault(label, []).append(s.fds)
                    series["conns"].setdefault(label, []).append(s.pg_conns)
                events = sum(s.events for s in subs)
                print(row(minute, step.p99, step.rps, step.failures, now, events), flush=True)
            print(f"subscriptions still open: {sum(1 for s in subs if s.error is None)}/{args.subscribers}")
        verdicts = [judge_soak(series["rss"], warmup=args.warmup, kind="rss")]
        verdicts += [judge_soak(series[k], warmup=args.warmup, kind=k, slack=args.slack) for k in ("fds", "conns")]
        for verdict in verdicts:
            print("\n".join("  " + line for line in verdict.lines))
        print(f"verdict: {'OK' if all(v.ok for v in verdicts) else 'FAILED'}; load average {load_average()}")
    finally:
        if up is not None:
            print(f"stopped in {await up.stop():.1f} s")


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows when redirected
    parser = argparse.ArgumentParser(description=__doc__)
    add_target_arguments(parser)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--users", type=int, default=4, help="locust users (about half the knee's at --rate)")
    parser.add_argument("--rate", type=float, default=1.0, help="requests/s of each user")
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--crawl-every", type=int, default=5, help="minutes between crawls of the demo sites")
    parser.add_argument("--settle", type=float, default=20.0, help="quiet seconds first (0: none)")
    parser.add_argument("--warmup", type=int, default=3, help="minutes before the RSS baseline")
    parser.add_argument("--slack", type=int, default=4, help="fds/connections a process may end above its baseline")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

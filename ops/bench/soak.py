"""`python -m ops.bench.soak --minutes 30`: the locust mix at a steady rate (about half the knee) with live
subscriptions, the demo sites publishing, editing and withdrawing articles (`--changes-per-minute`) and a crawl
of every demo site every few minutes; each minute the RSS, open fds and Postgres connections of every mesh
process and that minute's p99; then the verdict (RSS growth < 10% after warm-up, fds and connections flat, and
the change feed's counts: published = stored = found in search, edits stored, withdrawals gone, every
subscriber told). Run by hand; its table is pasted into docs/operations.md."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import sys
import tempfile
import traceback
from pathlib import Path

import aiohttp

from core.settings import Settings
from ops.bench.load.__main__ import DEMO_SITES, locust_step, settle, wait_for_documents
from ops.bench.load.changes import ChangeFeed, demo_bases, judge_counts
from ops.bench.load.held import Mesh, crawl_until_gone, held
from ops.bench.load.live import Subscriber, subscribers
from ops.bench.load.mesh import (
    Sample,
    add_target_arguments,
    attach_or_start,
    load_average,
    mesh_processes,
    nats_figures,
    nats_ports,
    pg_port_of,
    run_until_signalled,
)
from ops.bench.load.mesh import sample as sample_mesh
from ops.bench.load.stats import judge_soak, own_fds
from ops.demo.server import DemoSiteGroup

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


def row(minute: int, p99: float, rps: float, errors: int, samples: dict[str, Sample], events: int, changes: int) -> str:
    cells = [f"{s.rss_mb:.0f}/{s.fds:.0f}/{s.pg_conns:.0f}" for s in samples.values()]
    return f"| {minute} | {rps:.1f} | {p99:.0f} | {errors} | {changes} | {events} | " + " | ".join(cells) + " |"


async def own_demo_sites() -> tuple[DemoSiteGroup, Path]:
    """The demo site group served from this process, and its sites.yaml (for `yiwang up` as SITES_FILE)."""
    group = DemoSiteGroup(Path(tempfile.mkdtemp(prefix="yw-soak-demo-")))
    await group.start()
    group.write_sites_yaml(group.state_dir / "sites.yaml")
    return group, group.state_dir / "sites.yaml"


def change_feed(args: argparse.Namespace, data_dir: Path | None, group: DemoSiteGroup | None) -> ChangeFeed | None:
    """The demo sites' change feed, when asked for and the demo's sites.yaml is at hand."""
    if args.changes_per_minute <= 0:
        return None
    if group is not None:
        return ChangeFeed({sid: group.base(sid) for sid in group.contents}, args.changes_per_minute)
    if data_dir is None or not (data_dir / "demo" / "sites.yaml").exists():
        print("no change feed: the mesh's DATA_DIR/demo/sites.yaml is unknown (pass --data-dir of a demo mesh)")
        return None
    return ChangeFeed(demo_bases(data_dir), args.changes_per_minute)


async def count_check(
    args: argparse.Namespace, url: str, token: str, data_dir: Path, feed: ChangeFeed, subs: list[Subscriber]
) -> bool:
    """Crawl until the feed's last changes are seen and the mesh is settled, then compare the counts."""
    async with Mesh(data_dir) as mesh:
        lines = await crawl_until_gone(mesh, feed.ledger, lambda: crawl_all(url, token), rounds=4, timeout=900)
        print("\n".join("  " + line for line in lines))
        ok, checks = judge_counts(feed.ledger, await held(mesh, feed.ledger, subs))
    print("\n".join("  " + line for line in checks))
    return ok


async def run(args: argparse.Namespace) -> None:
    token = secrets.token_urlsafe(24)
    group, sites = await own_demo_sites() if args.demo_sites_only and not args.url else (None, None)
    # NATS_MONITOR=profile: the embedded NATS opens its monitoring and Go profiling ports, read each minute
    extra = {"ADMIN_TOKEN": token, "NATS_MONITOR": "profile"} | ({"SITES_FILE": str(sites)} if sites else {})
    if args.duplicate_window:  # a shorter window than production's hour: NATS levels sooner (see the note below)
        extra["STREAM_DUPLICATE_WINDOW_S"] = str(args.duplicate_window)
    up, url, data_dir = await attach_or_start(args.url, args.data_dir, args.scale, args.verbose, extra)
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
        feed = change_feed(args, data_dir, group)
        if feed is not None:
            print(f"change feed: {args.changes_per_minute:g} article changes a minute on {', '.join(feed.bases)}")
        monitor, profile = nats_ports(data_dir)
        watch_nats = monitor is not None and profile is not None
        if watch_nats:
            print("NATS's own figures: Go heap in use / idle not yet returned (MB) · JetStream messages / MB stored")
        print(
            "| min | req/s | p99 ms | errors | site changes | live events | "
            + " | ".join(procs)
            + (" | nats go heap | jetstream |" if watch_nats else " |")
        )
        print("|" + " --- |" * (6 + len(procs) + 2 * watch_nats))
        series: dict[str, dict[str, list[float]]] = {"rss": {}, "fds": {}, "conns": {}, "heap": {}}
        counted = True
        nats_timeout = aiohttp.ClientTimeout(total=10)
        async with subscribers(url, args.subscribers) as subs, aiohttp.ClientSession(timeout=nats_timeout) as nats_http:
            stop = asyncio.Event()
            feeding = asyncio.create_task(feed.run(stop)) if feed is not None else None
            for minute in range(1, args.minutes + 1):
                if minute % args.crawl_every == 1 or args.crawl_every == 1:
                    await crawl_all(url, token)
                step = await locust_step(url, args.users, 60, workdir, env)
                now = sample_mesh(procs, pg_port)
                for label, s in now.items():
                    series["rss"].setdefault(label, []).append(s.rss_mb)
                    series["fds"].setdefault(label, []).append(s.fds)
                    series["conns"].setdefault(label, []).append(s.pg_conns)
                events, changes = sum(s.events for s in subs), feed.ledger.actions if feed is not None else 0
                line = row(minute, step.p99, step.rps, step.failures, now, events, changes)
                figures = await nats_figures(nats_http, monitor, profile) if watch_nats else None
                if figures is not None:
                    series["heap"].setdefault("nats go heap in use", []).append(figures.heap_in_use_mb)
                    line += (
                        f" {figures.heap_in_use_mb:.1f}/{figures.heap_unreturned_mb:.1f} |"
                        f" {figures.messages}/{figures.stored_mb:.1f} |"
                    )
                print(line, flush=True)
            stop.set()
            if feeding is not None:
                await feeding
            print(f"subscriptions still open: {sum(1 for s in subs if s.error is None)}/{args.subscribers}")
            if feed is not None and data_dir is not None:
                (workdir / "ledger.json").write_text(json.dumps(dataclasses.asdict(feed.ledger), ensure_ascii=False))
                print(f"the change feed's ledger: {workdir / 'ledger.json'}; DATA_DIR {data_dir}")
                try:
                    counted = await count_check(args, url, token, data_dir, feed, subs)
                except Exception:  # the table and the other verdicts still print; the check's failure says why
                    traceback.print_exc()
                    counted = False
        period = args.crawl_every  # memory rises and falls with the crawls: compare whole crawl periods
        verdicts = [judge_soak(series["rss"], warmup=args.warmup, kind="rss", period=period)]
        verdicts += [
            judge_soak(own_fds(series["fds"]), warmup=args.warmup, kind="fds", slack=args.slack, period=period),
            judge_soak(series["conns"], warmup=args.warmup, kind="conns", slack=args.slack, period=period),
        ]
        for verdict in verdicts:
            print("\n".join("  " + line for line in verdict.lines))
        ok = all(v.ok for v in verdicts) and counted
        window_s = args.duplicate_window or Settings().stream_duplicate_window_s
        if args.warmup * 60 < window_s:
            print(
                f"  note: NATS keeps the message ids of the last {window_s / 60:g} minutes in memory (the work "
                "streams' duplicate window), so its memory grows until then: judge it with a longer --warmup"
            )
        if series["heap"]:  # what NATS holds, beside its RSS: told, not judged (the RSS verdict above stands)
            heap = judge_soak(series["heap"], warmup=args.warmup, kind="rss", period=period)
            print("\n".join("  " + line.replace("RSS", "Go heap in use") for line in heap.lines))
        print(f"verdict: {'OK' if ok else 'FAILED'}; load average {load_average()}")
    finally:
        if up is not None:
            print(f"stopped in {await up.stop():.1f} s")
        if group is not None:
            await group.stop()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows when redirected
    parser = argparse.ArgumentParser(description=__doc__)
    add_target_arguments(parser)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--users", type=int, default=4, help="locust users (about half the knee's at --rate)")
    parser.add_argument("--rate", type=float, default=1.0, help="requests/s of each user")
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--crawl-every", type=int, default=5, help="minutes between crawls of the demo sites")
    parser.add_argument(
        "--changes-per-minute",
        type=float,
        default=20,
        help="articles the demo sites publish, edit or withdraw (0: none)",
    )
    parser.add_argument("--settle", type=float, default=20.0, help="quiet seconds first (0: none)")
    parser.add_argument(
        "--demo-sites-only",
        action="store_true",
        help="serve the demo sites from here and start `yiwang up` on them (SITES_FILE), as ops.chaos does: without "
        "the open-data and disclosure demos, whose 35,000 documents take 10-60 minutes to index on a busy host",
    )
    parser.add_argument("--warmup", type=int, default=3, help="minutes before the RSS baseline")
    parser.add_argument("--slack", type=int, default=4, help="fds/connections a process may end above its baseline")
    parser.add_argument(
        "--duplicate-window",
        type=int,
        default=0,
        help="STREAM_DUPLICATE_WINDOW_S of the mesh started here (0: the default hour): NATS's memory levels after it",
    )
    raise SystemExit(run_until_signalled(run(parser.parse_args())))


if __name__ == "__main__":
    main()

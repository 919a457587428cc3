"""`python -m ops.chaos`: `yiwang up` (demo sites, embedded services) in a DATA_DIR on a small tmpfs, a light mixed
load, then one fault after another; after each the recovery time, the requests that failed and the count checks.

Run by hand as root (the tmpfs; several minutes); its table is pasted into docs/operations.md."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import asyncpg

from core.bus import Bus
from core.jobs import build_broker
from core.settings import Settings
from ops.chaos import faults
from ops.chaos.checks import Counts, measure, settled
from ops.chaos.load import IMPORT_SITE, Outcomes, client, crawl_all, ensure_import_site, importer
from ops.chaos.mesh import Mesh, mount_tmpfs, unmount
from ops.demo.server import DemoSiteGroup

Fault = Callable[[faults.Target], Awaitable[str]]
FAULTS: dict[str, Fault] = {
    "SIGKILL web": partial(faults.kill_process, kind="web"),
    "SIGKILL worker": partial(faults.kill_process, kind="worker"),
    "SIGKILL consumers": partial(faults.kill_process, kind="consumers"),
    "SIGKILL scheduler": partial(faults.kill_process, kind="scheduler"),
    "NATS restart": partial(faults.restart_service, name="nats"),
    "Postgres restart": partial(faults.restart_service, name="postgres"),
    "DATA_DIR disk full": faults.fill_disk,
    "scheduler clock jumps": faults.jump_clock,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def row(name: str, recovered: float, window: tuple[int, int, str], counts: Counts) -> str:
    total, failed, codes = window
    check = "OK" if counts.ok else "FAIL: " + "; ".join(counts.problems)
    return f"| {name} | {recovered:.1f} | {failed}/{total} ({codes}) | {check} |"


def figures(c: Counts) -> str:
    return (
        f"pages {c.pages} = documents {c.documents}; indexed {c.indexed} of {c.indexable}; "
        f"dead letters {c.dead_letters}"
    )


class Campaign:
    """The mesh, the load and the clients the checks use."""

    def __init__(self, mesh: Mesh, url: str, args: argparse.Namespace) -> None:
        self.mesh, self.url, self.args = mesh, url, args
        self.outcomes = Outcomes()
        self.stop = asyncio.Event()
        self.importing = asyncio.Lock()
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        pg, nats = self.mesh.service("postgres"), self.mesh.service("nats")
        assert pg and nats, "the embedded services are not running"
        self.settings = Settings(database_url=pg.url, nats_url=nats.url, data_dir=self.mesh.data_dir)
        self.pool = await asyncpg.create_pool(pg.url, min_size=1, max_size=4)
        self.bus = await Bus(self.settings, name="chaos").connect()
        self.broker = build_broker(self.settings)
        await ensure_import_site(self.pool)
        rows = await self.pool.fetch("select id from site_list where enabled and id like 'demo-%' order by id")
        self.sites = [r["id"] for r in rows]
        base = self.url.removesuffix("/graphql")
        self.target = faults.Target(self.mesh, base, self.pool, self.broker, self.settings, self.outcomes)
        self.tasks = [asyncio.create_task(client(self.url, self.outcomes, self.stop)) for _ in range(self.args.clients)]
        self.tasks.append(asyncio.create_task(importer(self.pool, self.bus, self.outcomes, self.stop, self.importing)))

    async def check(self) -> tuple[float, Counts]:
        """Settle (crawls done, durables drained, imports searchable), then count."""
        async with self.importing:
            waited = await settled(self.pool, self.bus, timeout=self.args.settle_s)
            since = int(await self.pool.fetchval("select coalesce(max(id), 0) from job_runs")) - 1000
            imported = self.outcomes.imported_urls
            counts = await measure(self.pool, self.bus, self.mesh.data_dir, self.sites, imported, since)
        return waited, counts

    async def one(self, name: str, fault: Fault) -> str:
        await crawl_all(self.pool, self.broker, self.sites)
        await asyncio.sleep(2.0)  # the crawls are in flight when the fault lands
        started = time.monotonic()
        try:
            note = await fault(self.target)
        except TimeoutError as exc:  # the row says so; the campaign goes on with the next fault
            note = f"NOT RECOVERED: {exc}"
        recovered = time.monotonic() - started
        window = self.outcomes.failures(started, time.monotonic())
        waited, counts = await self.check()
        print(f"  {name}: {note}; settled {waited:.0f} s later; {figures(counts)}", flush=True)
        return row(name, recovered, window, counts)

    async def close(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.bus.close()
        await self.pool.close()
        self.broker.close()


async def campaign(args: argparse.Namespace, data_dir: Path) -> list[str]:
    group, sites = None, data_dir.parent / "demo" / "sites.yaml"
    if not args.full_demo:  # the demo sites only: the disclosure demo's 35,000 pages would bury the checks
        group = DemoSiteGroup(sites.parent)
        await group.start()
        group.write_sites_yaml(sites)
    mesh = Mesh(data_dir, free_port(), args.scale, sites=sites if group else None, echo=args.verbose)
    started = time.monotonic()
    rows = [
        "| fault | recovered in (s) | requests failed during the fault (codes) | counts |",
        "| --- | --- | --- | --- |",
    ]
    run: Campaign | None = None
    try:
        url = await mesh.start()
        print(f"yiwang up: web ready after {time.monotonic() - started:.1f} s; {url}", flush=True)
        if group is None:
            with contextlib.suppress(SystemExit):
                await mesh.wait_for("disclosure demo ready", timeout=args.settle_s)
        run = Campaign(mesh, url, args)
        await run.open()
        waited, counts = await run.check()
        print(f"  before any fault: settled in {waited:.0f} s; {figures(counts)}; {counts.problems or 'OK'}")
        for name, fault in FAULTS.items():
            if not args.only or any(word in name for word in args.only):
                rows.append(await run.one(name, fault))
    finally:
        if run is not None:
            await run.close()
        print(f"stopped in {await mesh.stop():.1f} s", flush=True)
        if group is not None:
            await group.stop()
    return rows


async def until_signalled(args: argparse.Namespace, data_dir: Path) -> list[str]:
    """The campaign, cancelled (and cleaned up) on SIGINT or SIGTERM: run in the background, SIGINT is ignored."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    return await campaign(args, data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", help="as yiwang up --scale (default: one process of each kind)")
    parser.add_argument("--clients", type=int, default=3, help="concurrent GraphQL clients")
    parser.add_argument("--disk-mb", type=int, default=3072, help="size of the tmpfs holding DATA_DIR")
    parser.add_argument("--settle-s", type=float, default=240.0, help="how long a check waits for quiet")
    parser.add_argument("--only", nargs="*", help="run the faults whose names contain one of these words")
    parser.add_argument("--full-demo", action="store_true", help="up's whole demo (open data, disclosure) too")
    parser.add_argument("-v", "--verbose", action="store_true", help="echo yiwang up's output to stderr")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="yw-chaos-"))
    mounted = mount_tmpfs(root / "disk", args.disk_mb)
    if not mounted:
        print("no tmpfs (not root?): the disk-full fault fills the machine's own disk; skipping it", file=sys.stderr)
        FAULTS.pop("DATA_DIR disk full")
    load = os.getloadavg()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f}")
    try:
        rows = asyncio.run(until_signalled(args, root / "disk" / "data"))
    finally:
        if mounted:
            unmount(root / "disk")
        shutil.rmtree(root, ignore_errors=True)
    print("\n".join(["", *rows]))
    print(f"load average after: {os.getloadavg()[0]:.2f}; the importer's site: {IMPORT_SITE}")


if __name__ == "__main__":
    main()

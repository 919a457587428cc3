"""`python -m ops.bench.scale_bench`: `yiwang up --scale web=2,worker=2,consumers=2` on throwaway services; the
web processes sharing one port, the elected search-index writer, and its takeover after SIGKILL (measured).

Run by hand (minutes, many processes); its output is pasted into docs/operations.md."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import asyncpg
import psutil

from core.bus import Bus
from core.documents.importer import import_documents
from core.election import APPLICATION_PREFIX, lease_key
from core.settings import Settings
from ops.embedded import throwaway_services

LEASE = "search-projector"
SITE = "scale"
T = TypeVar("T")
QUERY = '{ search(query: "养老服务补贴", pageSize: 1) { total } }'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Up:
    """`yiwang up --scale …` as a child process, its output kept (and echoed with -v)."""

    def __init__(self, env: dict[str, str], argv: list[str], echo: bool) -> None:
        self.env, self.argv, self.echo = env, argv, echo
        self.lines: list[str] = []
        self.proc: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ops",
            "up",
            *self.argv,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc and self.proc.stdout
        async for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if self.echo:
                print("   |", line, file=sys.stderr)

    async def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if found := re.search(pattern, line):
                    return found
            await asyncio.sleep(0.2)
        raise SystemExit(
            f"no line matching {pattern!r} within {timeout} s; last lines:\n" + "\n".join(self.lines[-30:])
        )

    def children(self, kind: str) -> list[psutil.Process]:
        assert self.proc
        procs = psutil.Process(self.proc.pid).children()  # the supervisor's children (`worker` execs dramatiq)
        command = ["dramatiq"] if kind == "worker" else ["ops", kind]
        return [p for p in procs if p.cmdline()[2 : 2 + len(command)] == command]

    async def stop(self) -> float:
        assert self.proc
        started = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=90)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        return time.monotonic() - started


async def leader(pool: asyncpg.Pool) -> int | None:
    """The OS pid of the consumers process holding the search writer's lease (from its application_name)."""
    name = await pool.fetchval(
        """select a.application_name from pg_locks l join pg_stat_activity a using (pid)
           where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted""",
        *lease_key(LEASE),
    )
    if not name or not name.startswith(APPLICATION_PREFIX):
        return None
    return int(name.rsplit(":", 1)[1])


async def until(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], *, poll_s: float) -> T:
    """Poll `probe` until `done` holds for its value (at most two minutes)."""
    deadline = time.monotonic() + 120
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting; last value {value!r}")
        await asyncio.sleep(poll_s)


async def graphql(session: aiohttp.ClientSession, url: str) -> int:
    async with session.post(url, json={"query": QUERY}) as resp:
        body = await resp.json()
    if resp.status != 200 or "errors" in body:
        raise SystemExit(f"GraphQL at {url} answered {resp.status}: {body}")
    return int(body["data"]["search"]["total"])


async def spread(url: str, port: int, web: list[psutil.Process], connections: int) -> dict[int, int]:
    """Open `connections` kept-alive connections, one query each; how many each web process accepted."""
    sessions = [aiohttp.ClientSession() for _ in range(connections)]
    try:
        for session in sessions:
            await graphql(session, url)
        counts = {}
        for proc in web:
            conns = proc.net_connections(kind="tcp")
            counts[proc.pid] = sum(1 for c in conns if c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED)
        return counts
    finally:
        for session in sessions:
            await session.close()


def _lines(n: int) -> list[str]:
    token = secrets.token_hex(4)
    return [
        json.dumps(
            {
                "url": f"http://{SITE}.example.invalid/{token}/{i}.html",
                "title": f"养老服务补贴通知{token}-{i}",
                "text": "养老服务补贴的申请条件。",
                "kind": "policy",
            },
            ensure_ascii=False,
        )
        for i in range(n)
    ]


async def takeover(up: Up, pool: asyncpg.Pool, bus: Bus, ready: int) -> tuple[float, float]:
    """SIGKILL the lease holder; seconds until another process holds the lease, and until a new document
    imported after the kill is searchable."""
    # the follower is ready: a process the supervisor restarted after an earlier kill has warmed up again
    await until(
        lambda: asyncio.sleep(0, sum("ready to lead" in line for line in up.lines)),
        lambda n: n >= ready + 1,
        poll_s=0.2,
    )
    old = await leader(pool)
    assert old is not None
    killed = time.monotonic()
    os.kill(old, signal.SIGKILL)
    new = await until(lambda: leader(pool), lambda pid: pid not in (None, old), poll_s=0.02)
    leased = time.monotonic() - killed
    await import_documents(pool, bus, _lines(1), default_site=SITE, wait_timeout_s=60)
    indexed = time.monotonic() - killed
    print(
        f"  killed {old}: {new} holds the lease after {leased:.2f} s; a new document searchable after {indexed:.2f} s"
    )
    return leased, indexed


async def run(args: argparse.Namespace) -> None:
    with throwaway_services("yw-scale-") as (tmp, db_url, nats_url):
        port = free_port()
        sites = tmp / "sites.yaml"
        sites.write_text(f"sites:\n  - {{id: {SITE}, name: 扩展, level: 市, start_urls: ['http://127.0.0.1:9/']}}\n")
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "NATS_URL": nats_url,
            "DATA_DIR": str(tmp / "data"),
            "PORT": str(port),
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "text",
        }
        up = Up(env, ["--no-demo", "--sites", str(sites), "--scale", args.scale], args.verbose)
        started = time.monotonic()
        await up.start()
        url = (await up.wait_for(r"GraphQL\s+(http://\S+/graphql)", timeout=300)).group(1)
        print(f"yiwang up --scale {args.scale}: banner after {time.monotonic() - started:.1f} s")
        print("  " + next(line.strip() for line in up.lines if "processes " in line))
        for kind in ("web", "worker", "consumers", "scheduler"):
            print(f"  {kind}: pids {sorted(p.pid for p in up.children(kind))}")
        settings = Settings(database_url=db_url, nats_url=nats_url)
        pool = await asyncpg.create_pool(db_url, min_size=1, max_size=3)
        bus = await Bus(settings, name="scale-bench").connect()
        try:
            summary = await import_documents(pool, bus, _lines(20), default_site=SITE, wait_timeout_s=120)
            print(f"  imported 20 documents, searchable after {summary.waited_s:.2f} s")
            counts = await spread(url, port, up.children("web"), args.connections)
            print(f"  {args.connections} connections to {url}: accepted per web process {counts}")
            async with aiohttp.ClientSession() as session:
                print(f"  GraphQL search total at the banner's URL: {await graphql(session, url)}")
            print(f"  search writer lease held by consumers pid {await leader(pool)}")
            figures = [await takeover(up, pool, bus, ready=k + 1) for k in range(args.kills)]
            leased, indexed = [f[0] for f in figures], [f[1] for f in figures]
            print(
                f"takeover over {args.kills} SIGKILLs: lease median {statistics.median(leased):.2f} s "
                f"(max {max(leased):.2f}); searchable median {statistics.median(indexed):.2f} s "
                f"(max {max(indexed):.2f})"
            )
            async with aiohttp.ClientSession() as session:
                print(f"  GraphQL search total after the kills: {await graphql(session, url)}")
        finally:
            await bus.close()
            await pool.close()
            print(f"stopped in {await up.stop():.1f} s")
        standing = sum("standing by" in line for line in up.lines)
        print(
            f"  'standing by' lines in the output: {standing}; 'lease lost' lines: "
            f"{sum('lease lost' in line for line in up.lines)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="web=2,worker=2,consumers=2")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs of the search writer's leader")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("-v", "--verbose", action="store_true", help="echo yiwang up's output to stderr")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

"""The mesh under load: `yiwang up` on the embedded default in a temp DATA_DIR (or a running one), its processes
found by kind and sampled with psutil (CPU-seconds, RSS, open fds, Postgres connections)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from ops.bench.scale_bench import Up, free_port
from ops.embedded import EmbeddedServices

KINDS = ("web", "worker", "consumers", "scheduler")


@dataclass(frozen=True)
class Sample:
    """One process group's figures at one moment."""

    cpu_s: float
    rss_mb: float  # anonymous memory: RSS less file-backed and shared pages
    fds: float
    pg_conns: float


def bench_env(data_dir: Path, port: int) -> dict[str, str]:
    """`yiwang up`'s environment for a bench: embedded services in `data_dir`, and loopback trusted as a proxy so
    each simulated client can name its own address in X-Forwarded-For (the rate limit and the subscription caps
    then count it as the distinct client it stands for; their production defaults stay)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")}
    env |= {"DATA_DIR": str(data_dir), "PORT": str(port), "TRUSTED_PROXIES": "127.0.0.1", "LOG_FORMAT": "text"}
    env.setdefault("LOG_LEVEL", "WARNING")
    return env


async def start_mesh(scale: str | None, echo: bool, extra_env: dict[str, str] | None = None) -> tuple[Up, str, Path]:
    """Start `yiwang up` (demo site group) in a new temp DATA_DIR; the supervisor, the GraphQL URL, DATA_DIR.
    Ready is when /healthz answers (not the banner: `up` prints none when web took over 60 s, as on a busy host)."""
    data_dir = Path(tempfile.mkdtemp(prefix="yw-load-")) / "data"
    port = free_port()
    env = bench_env(data_dir, port) | (extra_env or {})
    up = Up(env, ["--scale", scale] if scale else [], echo)
    await up.start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for _ in range(600):
                if up.proc is not None and up.proc.returncode is not None:
                    raise SystemExit("yiwang up exited:\n" + "\n".join(up.lines[-30:]))
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{base}/healthz") as resp:
                        if resp.status == 200:
                            return up, f"{base}/graphql", data_dir
                await asyncio.sleep(1)
        raise SystemExit("web did not answer /healthz within 10 minutes:\n" + "\n".join(up.lines[-30:]))
    except BaseException:  # stopped (Ctrl-C) or given up while starting: `up` runs in its own session, stop it
        if up.proc is not None and up.proc.returncode is None:
            print(f"stopped the mesh being started in {await up.stop():.1f} s", file=sys.stderr, flush=True)
        await asyncio.to_thread(EmbeddedServices(data_dir).stop)  # those `up` started before it was stopped
        raise


def run_until_signalled(main: Coroutine[Any, Any, None]) -> int:
    """Run a bench's `main` until it ends or SIGINT/SIGTERM arrives; a signal cancels it, so its `finally` stops
    the mesh it started. SIGINT counts even when inherited ignored (a job started in the background), and
    signals while stopping are ignored: a second Ctrl-C must not leave the mesh running. Exit status 0, or 130."""

    async def cancellable() -> int:
        task, loop = asyncio.current_task(), asyncio.get_running_loop()
        assert task is not None
        stopping = False

        def stop() -> None:
            nonlocal stopping
            if not stopping:
                stopping = True
                print("\nstopping (and the mesh, if started here) …", file=sys.stderr, flush=True)
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            await main
        except asyncio.CancelledError:
            if not stopping:
                raise
            return 130
        return 0

    return asyncio.run(cancellable())


async def attach_or_start(
    url: str | None, data_dir: str | None, scale: str | None, echo: bool, extra_env: dict[str, str] | None = None
) -> tuple[Up | None, str, Path | None]:
    """The mesh at `url` (its DATA_DIR, if given, names its embedded services), or a new one started here."""
    if url:
        return None, url, Path(data_dir) if data_dir else None
    return await start_mesh(scale, echo, extra_env)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """--url/--data-dir (a running mesh), --scale and -v (a new one)."""
    parser.add_argument("--url", help="GraphQL URL of a running mesh (default: start `yiwang up` in a temp DATA_DIR)")
    parser.add_argument("--data-dir", help="the running mesh's DATA_DIR (its Postgres and NATS are then sampled)")
    parser.add_argument("--scale", help="`yiwang up --scale` of the mesh started here, e.g. web=2")
    parser.add_argument("-v", "--verbose", action="store_true", help="echo yiwang up's output to stderr")


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _kind(proc: psutil.Process) -> str | None:
    argv = proc.cmdline()[2:3]
    return "worker" if argv == ["dramatiq"] else next((k for k in KINDS if proc.cmdline()[2:4] == ["ops", k]), None)


def _is_up(proc: psutil.Process) -> bool:
    """Whether a process is `yiwang up` (the console script, or `python -m ops up`)."""
    try:
        argv = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return "up" in argv[1:4] and any(part.endswith(("yiwang", "ops")) for part in argv[:3])


def mesh_processes(up: Up | None, data_dir: Path | None, url: str | None = None) -> dict[str, list[psutil.Process]]:
    """Each process of the mesh by label (`up`, `web.1`, `worker.1`, …, `postgres`, `nats`), with its
    descendants (dramatiq's worker processes, Postgres' backends). A mesh not started here is found from the
    supervisor of the process listening on `url`'s port."""
    found: dict[str, list[psutil.Process]] = {}
    supervisor = psutil.Process(up.proc.pid) if up is not None and up.proc is not None else None
    if supervisor is None and url is not None and (web := web_process(url)):
        parent = web[0].parent()
        if parent is not None and _is_up(parent):
            supervisor = parent
        else:  # a web process not under `yiwang up` (honcho, systemd, a shell): itself alone, not its parent
            found["web.1"] = web
    if supervisor is not None:
        found["up"] = [supervisor]  # it also loads the demos in the background
        children = sorted(supervisor.children(), key=lambda p: p.pid)
        for kind in KINDS:
            for i, proc in enumerate((p for p in children if _kind(p) == kind), 1):
                found[f"{kind}.{i}"] = _tree(proc)
    state = data_dir / "services" / "state.json" if data_dir else None
    if state and state.exists():
        for name, service in json.loads(state.read_text()).items():
            found[name] = _tree(psutil.Process(service["pid"]))
    return found


def _pg_port(data_dir: Path | None) -> int | None:
    state = data_dir / "services" / "state.json" if data_dir else None
    if state and state.exists():
        return int(json.loads(state.read_text())["postgres"]["port"])
    return None


def sample(procs: dict[str, list[psutil.Process]], pg_port: int | None) -> dict[str, Sample]:
    """CPU-seconds (user + system), anonymous memory (MB), open fds and TCP connections to Postgres of each
    group."""
    out = {}
    for label, group in procs.items():
        cpu = rss = fds = conns = 0.0
        for proc in group:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu += times.user + times.system
                    # Anonymous memory (RSS less file-backed and shared pages) is what a leak grows. RSS itself
                    # also grows as the search index's mapped files are read and as each Postgres backend
                    # touches more of the shared buffers (counted once per backend): page cache, not a leak.
                    mem = proc.memory_info()
                    rss += (mem.rss - mem.shared) / 2**20
                    fds += proc.num_fds()
                    if pg_port and not label.startswith("postgres"):
                        conns += sum(1 for c in proc.net_connections("tcp") if c.raddr and c.raddr.port == pg_port)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        out[label] = Sample(cpu, rss, fds, conns)
    return out


def pg_port_of(data_dir: Path | None) -> int | None:
    """The embedded Postgres' port (from DATA_DIR/services/state.json), None when there is none."""
    return _pg_port(data_dir)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def url_base(url: str) -> str:
    return re.sub(r"/graphql$", "", url)


def web_process(url: str) -> list[psutil.Process]:
    """The process(es) listening on the URL's port (several with SO_REUSEPORT), with their descendants."""
    port = int(re.search(r":(\d+)/", url).group(1))  # type: ignore[union-attr]
    pids = {c.pid for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
    return [p for pid in sorted(pids) if pid for p in _tree(psutil.Process(pid))]


@dataclass(frozen=True)
class NatsFigures:
    """What the embedded NATS says of itself: its Go heap (in use, and idle but not yet given back to the OS) and
    what JetStream keeps (messages, MB on disk), to tell a held-data leak from the runtime's own slack."""

    heap_in_use_mb: float
    heap_unreturned_mb: float
    messages: int
    stored_mb: float


def go_heap_figures(page: str) -> dict[str, int]:
    """The Go runtime's figures (HeapInuse, HeapIdle, HeapReleased, …, in bytes) that end a profiling port's
    `/debug/pprof/heap?debug=1` page."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^# (\w+) = (\d+)$", page, re.M)}


def nats_ports(data_dir: Path | None) -> tuple[int | None, int | None]:
    """The embedded NATS's monitoring and profiling ports (DATA_DIR/services/state.json), None where absent."""
    state = data_dir / "services" / "state.json" if data_dir else None
    if not state or not state.exists():
        return None, None
    nats = json.loads(state.read_text()).get("nats") or {}
    return nats.get("monitor"), nats.get("profile")


async def nats_figures(session: aiohttp.ClientSession, monitor: int | None, profile: int | None) -> NatsFigures | None:
    """Read /jsz and the Go runtime's heap figures (the profiling port's heap page); None when either is missing."""
    if not monitor or not profile:
        return None
    try:
        async with session.get(f"http://127.0.0.1:{monitor}/jsz") as resp:
            jsz = await resp.json()
        async with session.get(f"http://127.0.0.1:{profile}/debug/pprof/heap?debug=1") as resp:
            text = await resp.text()
    except (aiohttp.ClientError, TimeoutError):
        return None
    stats = go_heap_figures(text)
    mb = 2**20
    return NatsFigures(
        heap_in_use_mb=stats.get("HeapInuse", 0) / mb,
        heap_unreturned_mb=(stats.get("HeapIdle", 0) - stats.get("HeapReleased", 0)) / mb,
        messages=int(jsz.get("messages", 0)),
        stored_mb=int(jsz.get("bytes", 0)) / mb,
    )

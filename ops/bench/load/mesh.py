"""The mesh under load: `yiwang up` on the embedded default in a temp DATA_DIR (or a running one), its processes
found by kind and sampled with psutil (CPU-seconds, RSS, open fds, Postgres connections)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from ops.bench.scale_bench import Up, free_port

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


def mesh_processes(up: Up | None, data_dir: Path | None, url: str | None = None) -> dict[str, list[psutil.Process]]:
    """Each process of the mesh by label (`up`, `web.1`, `worker.1`, …, `postgres`, `nats`), with its
    descendants (dramatiq's worker processes, Postgres' backends). A mesh not started here is found from the
    supervisor of the process listening on `url`'s port."""
    found: dict[str, list[psutil.Process]] = {}
    supervisor = psutil.Process(up.proc.pid) if up is not None and up.proc is not None else None
    if supervisor is None and url is not None and (web := web_process(url)):
        supervisor = web[0].parent()
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

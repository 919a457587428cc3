"""The faults: each injects one and returns once the mesh has recovered from it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg
import dramatiq

from core.settings import Settings
from ops.chaos.load import Outcomes
from ops.chaos.mesh import Mesh
from workers.scheduler import LEADER_LOCK, scheduler_now, tick

JUMPS = [timedelta(days=1), timedelta(hours=-2), timedelta(days=400), timedelta(minutes=-30)]
ENOSPC_WORDS = ("No space left", "no space left", "ENOSPC", "StorageFull", "disk full")


@dataclass
class Target:
    """What a fault acts on and watches."""

    mesh: Mesh
    base: str  # the web process's origin
    pool: asyncpg.Pool
    broker: dramatiq.Broker
    settings: Settings
    outcomes: Outcomes


async def ready(base: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as s, s.get(f"{base}/readyz") as r:
            return r.status == 200
    return False


async def until(probe: Callable[[], Awaitable[bool]], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise TimeoutError("not recovered within the fault's timeout")
        await asyncio.sleep(0.2)


async def kill_process(t: Target, kind: str) -> str:
    """SIGKILL the first process of a kind; recovered when the supervisor has started it again and /readyz
    answers 200 (for the scheduler: once the new one leads)."""
    victim = t.mesh.pids(kind)[0]
    mark = len(t.mesh.lines)
    os.kill(victim, signal.SIGKILL)

    async def back() -> bool:
        pids = t.mesh.pids(kind)
        return bool(pids) and victim not in pids and await ready(t.base)

    await until(back)
    if kind == "scheduler":
        await t.mesh.wait_for("scheduler leading", timeout=60, after=mark)
    if kind == "web":
        await t.mesh.wait_for("api ready", timeout=60, after=mark)
    return f"pid {victim} killed"


async def restart_service(t: Target, name: str) -> str:
    """Stop an embedded service the way its host would on a restart (NATS: SIGTERM; Postgres: fast shutdown,
    SIGINT); `yiwang up`'s watch starts it again on its port; recovered when /readyz answers 200."""
    state = t.mesh.service(name)
    assert state is not None, f"{name} is not running"
    os.kill(state.pid, signal.SIGTERM if name == "nats" else signal.SIGINT)

    async def back() -> bool:
        now = await asyncio.to_thread(t.mesh.service, name)
        return now is not None and now.pid != state.pid and await ready(t.base)

    await until(back)
    return f"pid {state.pid} stopped"


async def fill_disk(t: Target, hold_s: float = 15.0) -> str:
    """Fill DATA_DIR's filesystem to the last byte, keep it full `hold_s`, free it; recovered once /readyz answers
    200 and an import publishes again. NATS (2.15) can keep refusing writes to the streams it failed to write
    after the space is back: then, after a minute, it is restarted, as the runbook says."""
    ballast = t.mesh.data_dir.parent / "ballast"
    mark = len(t.mesh.lines)
    written = await asyncio.to_thread(_fill, ballast)
    await asyncio.sleep(hold_s)
    ballast.unlink()
    freed = time.monotonic()
    await until(lambda: ready(t.base))
    note = ""
    try:
        await until(lambda: _imported_since(t.outcomes, freed), timeout=60)
    except TimeoutError:
        note = "; NATS still refused writes a minute after the space was freed: restarted it"
        await restart_service(t, "nats")
        restarted = time.monotonic()
        await until(lambda: _imported_since(t.outcomes, restarted), timeout=120)
    said = {line.split("|", 1)[0].strip() for line in t.mesh.lines[mark:] if any(w in line for w in ENOSPC_WORDS)}
    return f"{written // 2**20} MiB ballast; ENOSPC in the output of: {', '.join(sorted(said)) or 'none'}{note}"


async def _imported_since(outcomes: Outcomes, since: float) -> bool:
    return any(t >= since and what == "ok" for t, what in outcomes.imports)


def _fill(path: Path) -> int:
    written = 0
    chunk = b"\0" * 2**20
    with open(path, "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
                written += len(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return written


async def jump_clock(t: Target) -> str:
    """The scheduler's ticks with a clock jumped ahead and back (core.clock's injection), run here as the leader:
    the mesh's scheduler is killed and its restarted self stands by until this lets the lock go."""
    async with t.pool.acquire() as leader:
        os.kill(t.mesh.pids("scheduler")[0], signal.SIGKILL)
        await until(lambda: leader.fetchval("select pg_try_advisory_lock($1)", LEADER_LOCK), timeout=60)
        try:
            queued = await _jumped_ticks(t)
        finally:
            await leader.execute("select pg_advisory_unlock($1)", LEADER_LOCK)
    jumps = ", ".join(f"{j.total_seconds() / 3600:+g} h" for j in JUMPS)
    return f"{len(JUMPS) * 3} ticks with the clock jumped {jumps}: {queued} crawls queued"


async def _jumped_ticks(t: Target) -> int:
    queued = 0
    base = await t.pool.fetchval("select now()")
    for jump in JUMPS:
        for _ in range(3):
            now = await scheduler_now(t.pool, lambda j=jump: base + j)  # type: ignore[misc]
            queued += len(await tick(pool=t.pool, broker=t.broker, settings=t.settings, now=now))
            await asyncio.sleep(1.0)
    return queued

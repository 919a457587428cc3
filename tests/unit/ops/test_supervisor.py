"""The supervisor watches each child process, not its output pipe, and reaps the child's process group."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import psutil

from ops.supervisor import Supervisor
from tests.polling import eventually

# A child that leaves two helpers holding its stdout: one in its own process group (the supervisor reaps it
# with the group), one that escaped into a session of its own (it keeps the pipe open until it ends).
CHILD = """
import os, subprocess, sys, time
kept = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
escaped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
open(sys.argv[1], "a").write(f"{os.getpid()} {kept.pid} {escaped.pid}\\n")
print("started", flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def running(pid: int) -> bool:
    return alive(pid)


async def any_running(pids: list[int]) -> bool:
    return any(alive(p) for p in pids)


async def test_a_child_killed_while_its_helpers_hold_the_pipe_is_restarted(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    supervisor = Supervisor(dict(os.environ), color=False)
    supervisor.add("child", [sys.executable, "-c", CHILD, str(pids)])
    escaped: list[int] = []

    async def started() -> list[list[int]]:
        rows = [[int(p) for p in line.split()] for line in pids.read_text().splitlines()] if pids.exists() else []
        escaped[:] = [row[2] for row in rows]
        return rows

    await supervisor.start()
    try:
        first = (await eventually(started, timeout=20, what="the child and its helpers"))[0]
        os.kill(first[0], signal.SIGKILL)
        rows = await eventually(started, lambda r: len(r) == 2, timeout=20, what="the child started again")
        assert rows[1][0] == supervisor.child("child").pid != first[0]
        assert alive(first[2]), "the escaped helper still holds the old pipe: the restart did not wait for it"
        await eventually(lambda: running(first[1]), lambda a: not a, timeout=10, what="the group reaped")
    finally:
        await supervisor.stop(timeout=10)
        for pid in escaped:  # started by this test; outside every group the supervisor reaps
            os.kill(pid, signal.SIGKILL)
    pids_left = [p for row in await started() for p in row[:2]]
    await eventually(lambda: any_running(pids_left), lambda a: not a, timeout=10, what="stop reaps every group")


async def test_a_child_that_ran_a_while_is_always_restarted(tmp_path: Path) -> None:
    """`max_restarts` counts crashes in a row: a child killed now and then is restarted every time."""
    starts = tmp_path / "starts"
    child = f"import time; open({str(starts)!r}, 'a').write('x'); time.sleep(0.3)"
    supervisor = Supervisor(dict(os.environ), max_restarts=1, stable_s=0.2, color=False)
    supervisor.add("child", [sys.executable, "-c", child])

    async def count() -> int:
        return len(starts.read_text()) if starts.exists() else 0

    await supervisor.start()
    try:
        await eventually(count, lambda n: n >= 3, timeout=20, what="three starts with max_restarts=1")
    finally:
        await supervisor.stop(timeout=5)

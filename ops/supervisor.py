"""Runs the Procfile's processes as children: prefixed output, restart on crash, clean stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
COLORS = ["\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


class _Output(asyncio.SubprocessProtocol):
    """A child's output line by line, and its exit as soon as the process ends.

    The exit comes from the process itself, not from its pipe: helpers it leaves behind (a process pool, a
    forkserver) inherit the pipe, and asyncio's `Process.wait()` (Python 3.11) waits for the pipe to close.
    """

    def __init__(self, write: Callable[[str], None], exited: asyncio.Future[None]) -> None:
        self.write = write
        self.exited = exited
        self.partial = b""

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        *lines, self.partial = (self.partial + data).split(b"\n")
        for line in lines:
            self.write(line.decode(errors="replace").rstrip())

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if self.partial:
            self.write(self.partial.decode(errors="replace").rstrip())
            self.partial = b""

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


@dataclass
class Child:
    """One supervised process (the leader of its own process group)."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # what this child adds to the supervisor's environment
    transport: asyncio.SubprocessTransport | None = None
    exited: asyncio.Future[None] | None = None
    restarts: int = 0
    started_at: float = 0.0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        return self.transport.get_pid() if self.transport else None

    @property
    def running(self) -> bool:
        return self.exited is not None and not self.exited.done()


def kill_group(pgid: int | None, sig: signal.Signals = signal.SIGKILL) -> None:
    """Signal every process left in the group the child led (its orphaned helpers)."""
    if pgid is None or pgid <= 1:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class Supervisor:
    """Starts children with one environment and keeps them running until `stop`."""

    def __init__(
        self, env: dict[str, str], *, max_restarts: int = 5, stable_s: float = 30.0, color: bool | None = None
    ) -> None:
        self.env = env
        self.children: list[Child] = []
        self.max_restarts = max_restarts  # in a row: a child that ran `stable_s` starts counting again
        self.stable_s = stable_s
        self.stopping = False
        self.color = sys.stdout.isatty() if color is None else color
        self.width = 10

    def add(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.children.append(Child(name, argv, dict(env or {})))
        self.width = max(self.width, len(name) + 1)

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    async def start(self) -> None:
        for child in self.children:
            await self._spawn(child)

    async def _spawn(self, child: Child) -> None:
        loop = asyncio.get_running_loop()
        child.exited = loop.create_future()
        prefix = self._prefix(child)

        def write(line: str) -> None:
            sys.stdout.write(f"{prefix} {line}\n")
            sys.stdout.flush()

        exited = child.exited
        transport, _ = await loop.subprocess_exec(
            lambda: _Output(write, exited),
            *child.argv,
            env=self.env | child.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: reaped whole when it exits
        )
        child.transport = transport
        child.started_at = time.monotonic()
        child.tasks = [asyncio.create_task(self._watch(child))]

    def _prefix(self, child: Child) -> str:
        label = child.name.ljust(self.width) + "|"
        if not self.color:
            return label
        return COLORS[self.children.index(child) % len(COLORS)] + label + RESET

    def _reap(self, child: Child) -> int | None:
        """After the leader's exit: kill what is left of its group, release the pipe; the exit code."""
        assert child.transport
        code = child.transport.get_returncode()
        if not child.transport.is_closing():  # once: the group id may be reused later
            kill_group(child.pid)
            child.transport.close()
        return code

    async def _watch(self, child: Child) -> None:
        assert child.exited
        await child.exited
        code = self._reap(child)
        if self.stopping:
            return
        stable = time.monotonic() - child.started_at >= self.stable_s
        if stable:  # an OOM kill a day is not a crash loop: never give up on it
            child.restarts = 0
        if child.restarts >= self.max_restarts:
            log.error("process keeps crashing; giving up", extra={"child": child.name, "exit": code})
            return
        child.restarts += 1
        delay = 1.0 if stable else min(2.0**child.restarts, 30.0)
        log.warning("process exited; restarting", extra={"child": child.name, "exit": code, "in_s": delay})
        await asyncio.sleep(delay)
        if not self.stopping:
            await self._spawn(child)

    async def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every child (its leader, which stops its helpers), then SIGKILL each group left after
        `timeout`."""
        self.stopping = True
        for child in self.children:
            if child.running and child.transport:
                with contextlib.suppress(ProcessLookupError):
                    child.transport.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.exited is None:
                continue
            try:
                await asyncio.wait_for(asyncio.shield(child.exited), timeout=max(deadline - time.monotonic(), 0.1))
            except TimeoutError:
                log.warning("process did not stop in time; killing", extra={"child": child.name})
                kill_group(child.pid)
                await child.exited
            self._reap(child)
            for task in child.tasks:
                task.cancel()

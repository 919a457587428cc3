"""Runs the Procfile's processes as children: prefixed output, restart on crash, clean stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
COLORS = ["\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list[str]
    proc: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = 0.0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class Supervisor:
    """Starts children with one environment and keeps them running until `stop`."""

    def __init__(self, env: dict[str, str], *, max_restarts: int = 5, color: bool | None = None) -> None:
        self.env = env
        self.children: list[Child] = []
        self.max_restarts = max_restarts
        self.stopping = False
        self.color = sys.stdout.isatty() if color is None else color
        self.width = 10

    def add(self, name: str, argv: list[str]) -> None:
        self.children.append(Child(name, argv))
        self.width = max(self.width, len(name) + 1)

    async def start(self) -> None:
        for child in self.children:
            await self._spawn(child)

    async def _spawn(self, child: Child) -> None:
        child.proc = await asyncio.create_subprocess_exec(
            *child.argv,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        child.started_at = time.monotonic()
        child.tasks = [asyncio.create_task(self._pump(child)), asyncio.create_task(self._watch(child))]

    def _prefix(self, child: Child) -> str:
        label = child.name.ljust(self.width) + "|"
        if not self.color:
            return label
        return COLORS[self.children.index(child) % len(COLORS)] + label + RESET

    async def _pump(self, child: Child) -> None:
        assert child.proc and child.proc.stdout
        async for raw in child.proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            sys.stdout.write(f"{self._prefix(child)} {line}\n")
            sys.stdout.flush()

    async def _watch(self, child: Child) -> None:
        assert child.proc
        code = await child.proc.wait()
        if self.stopping:
            return
        if child.restarts >= self.max_restarts:
            log.error("process keeps crashing; giving up", extra={"child": child.name, "exit": code})
            return
        child.restarts += 1
        delay = min(2.0**child.restarts, 30.0) if time.monotonic() - child.started_at < 30 else 1.0
        log.warning("process exited; restarting", extra={"child": child.name, "exit": code, "in_s": delay})
        await asyncio.sleep(delay)
        if not self.stopping:
            await self._spawn(child)

    async def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every child (its whole process group), then SIGKILL what is left after `timeout`."""
        self.stopping = True
        for child in self.children:
            if child.proc and child.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.proc is None:
                continue
            try:
                await asyncio.wait_for(child.proc.wait(), timeout=max(deadline - time.monotonic(), 0.1))
            except TimeoutError:
                log.warning("process did not stop in time; killing", extra={"child": child.name})
                with contextlib.suppress(ProcessLookupError):
                    child.proc.kill()
                await child.proc.wait()
            for task in child.tasks:
                task.cancel()

"""The mesh under test: `yiwang up --sites` of the demo site group, embedded services, DATA_DIR on a small tmpfs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from ops.embedded import EmbeddedServices, ServiceState

KINDS = ("web", "worker", "consumers", "scheduler")


def mount_tmpfs(where: Path, size_mb: int) -> bool:
    """A tmpfs of `size_mb` at `where` (root only): a disk that can be filled without harm. False if refused."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


def unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


class Mesh:
    """`python -m ops up` as a child process group; its output kept (echoed with `echo`)."""

    def __init__(self, data_dir: Path, port: int, scale: str | None, *, sites: Path | None, echo: bool) -> None:
        self.data_dir, self.port, self.scale, self.echo = data_dir, port, scale, echo
        self.sites = sites  # None: `up`'s own demo, with the open-data and disclosure demos loading beside
        self.lines: list[str] = []
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Start `up` and return the banner's GraphQL URL."""
        unset = ("DATABASE_URL", "NATS_URL", "BROKER_URL", "SITES_FILE", "ADMIN_TOKEN")
        env = {k: v for k, v in os.environ.items() if k not in unset}
        env |= {"DATA_DIR": str(self.data_dir), "PORT": str(self.port), "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1"}
        argv = ["--scale", self.scale] if self.scale else []
        argv += ["--sites", str(self.sites)] if self.sites else []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ops",
            "up",
            *argv,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read())
        # The banner, or (under heavy load `up` gives up waiting after 60 s and prints none) the web's own line.
        await self.wait_for(r"GraphQL\s+http://\S+/graphql|api ready", timeout=600)
        return f"http://127.0.0.1:{self.port}/graphql"

    async def _read(self) -> None:
        assert self.proc and self.proc.stdout
        async for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if self.echo:
                print("   |", line, file=sys.stderr, flush=True)

    async def wait_for(self, pattern: str, timeout: float, *, after: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if found := re.search(pattern, line):
                    return found
            if self.proc and self.proc.returncode is not None:
                break
            await asyncio.sleep(0.2)
        tail = "\n".join(self.lines[-40:])
        raise SystemExit(f"no line matching {pattern!r} within {timeout} s; last lines:\n{tail}")

    def pids(self, kind: str) -> list[int]:
        """The supervisor's children of one Procfile kind (`worker` execs dramatiq)."""
        assert self.proc
        command = ["dramatiq"] if kind == "worker" else ["ops", kind]
        found = []
        for child in psutil.Process(self.proc.pid).children():
            with contextlib.suppress(psutil.Error):
                if child.cmdline()[2 : 2 + len(command)] == command:
                    found.append(child.pid)
        return sorted(found)

    def service(self, name: str) -> ServiceState | None:
        return EmbeddedServices(self.data_dir).status()[name]

    async def stop(self) -> float:
        assert self.proc
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=90)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self._reader:
            self._reader.cancel()
        EmbeddedServices(self.data_dir).stop()  # in case `up` died before stopping them
        return time.monotonic() - started

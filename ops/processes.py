"""The operating system side of the embedded services: free loopback ports, processes, users and commands."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path

from core.errors import Upstream

RESERVED_PORTS = {4222, 5432, 6379, 8000}  # the standard ports other services of the machine may hold


def free_port(host: str = "127.0.0.1") -> int:
    while True:
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if port not in RESERVED_PORTS:
            return port


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    with socket.socket() as s:
        s.settimeout(timeout)
        return s.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ensure_os_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        run_command(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            user=None,
            what=f"useradd {name}",
        )


def run_command(cmd: list[str | Path], *, user: str | None, what: str) -> None:
    result = subprocess.run(
        [str(c) for c in cmd],
        user=user,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
        cwd="/",
        check=False,
    )
    if result.returncode != 0:
        output = result.stdout.decode(errors="replace")[-2000:]
        raise Upstream(f"{what} failed (exit {result.returncode}): {output}")


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read it: {exc.strerror})"


def terminate(pid: int, *, sig: signal.Signals = signal.SIGTERM, timeout: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

"""`yiwang up --scale web=2,worker=2,consumers=2`: how many processes of each Procfile kind to run."""

from __future__ import annotations

import argparse
import socket
from dataclasses import dataclass

from core.errors import Conflict

PROCESSES = ("web", "worker", "consumers", "scheduler")
MAX_PER_KIND = 16


@dataclass(frozen=True)
class Instance:
    """One process to supervise: its label, its kind and the environment it adds to the shared one."""

    label: str
    kind: str
    env: dict[str, str]


def parse_scale(text: str) -> dict[str, int]:
    """`kind=N,…` → a count for every kind (those not named run once); ArgumentTypeError says what is wrong."""
    counts = dict.fromkeys(PROCESSES, 1)
    named: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        kind, eq, number = (p.strip() for p in item.partition("="))
        if not eq or not kind or not number:
            raise argparse.ArgumentTypeError(f"{item!r} is not KIND=N (for example web=2,worker=2,consumers=2)")
        if kind not in PROCESSES:
            raise argparse.ArgumentTypeError(f"unknown process {kind!r}: the kinds are {', '.join(PROCESSES)}")
        if kind in named:
            raise argparse.ArgumentTypeError(f"{kind} is given twice")
        least = 1 if kind == "web" else 0  # the banner's GraphQL URL needs a web process
        if not number.isdigit() or not least <= int(number) <= MAX_PER_KIND:
            raise argparse.ArgumentTypeError(f"{kind}={number}: give a whole number from {least} to {MAX_PER_KIND}")
        named.add(kind)
        counts[kind] = int(number)
    return counts


def instances(counts: dict[str, int], *, metrics_port: int = 0) -> list[Instance]:
    """Each process to start, in Procfile order: `web` alone keeps its name, several are `web.1`, `web.2`, …
    Web processes share PORT (SO_REUSEPORT); with METRICS_PORT set, each serves /metrics on a port of its own
    (METRICS_PORT, METRICS_PORT+1, …) so every one can be scraped."""
    out = []
    for kind in PROCESSES:
        n = counts.get(kind, 1)
        for i in range(n):
            env = {"METRICS_PORT": str(metrics_port + i)} if kind == "web" and metrics_port else {}
            out.append(Instance(kind if n == 1 else f"{kind}.{i + 1}", kind, env))
    return out


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port that other web processes may bind too (SO_REUSEPORT: the kernel hands
    each new connection to one of them); Conflict when something that does not share it holds the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise Conflict(f"port {port} on {host} is already in use: stop what holds it or set PORT") from None
    return sock

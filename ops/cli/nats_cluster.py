"""`yiwang nats-cluster [start|stop|status|kill N|restart N]`: a local 3-node JetStream cluster (docs/operations.md).

Shown URLs have the token masked; `--url` prints NATS_URL whole (comma-separated), for
`export NATS_URL=$(yiwang nats-cluster --url)`."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import Invalid
from core.masking import mask_url
from core.settings import get_settings
from ops.embedded_cluster import NatsCluster


def nats_cluster_cmd(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir) if args.data_dir else get_settings().data_dir
    cluster = NatsCluster(data_dir, size=args.size)
    if args.action in ("kill", "restart") and not args.node:
        raise Invalid(f"`nats-cluster {args.action}` needs the node's name (n1, n2, …)")
    if args.action == "start":
        cluster.start()
    elif args.action == "stop":
        stopped = cluster.stop()
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        return 0
    elif args.action == "kill":
        cluster.kill(args.node)
    elif args.action == "restart":
        cluster.restart(args.node)
    if args.url:
        print(cluster.url)
        return 0
    for name, node in cluster.nodes().items():
        state = "running" if cluster.running(name) else "stopped"
        print(f"{name:<4} {state:<8} pid {node.pid:<8} client 127.0.0.1:{node.port}  route {node.route_port}")
    print(f"NATS_URL={mask_url(cluster.url)}")
    print(f"token in {cluster.root / 'nats-token'} (owner only); `--url` prints NATS_URL with it")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nats-cluster", help="start, stop, kill or restart the nodes of a local JetStream cluster")
    p.add_argument("action", nargs="?", default="start", choices=["start", "stop", "status", "kill", "restart"])
    p.add_argument("node", nargs="?", help="the node to kill or restart (n1, n2, …)")
    p.add_argument("--data-dir", help="where the nodes keep their stores (default: DATA_DIR)")
    p.add_argument("--size", type=int, default=3, help="how many nodes (default 3)")
    p.add_argument("--url", action="store_true", help="print only NATS_URL, token included")
    p.set_defaults(func=nats_cluster_cmd)

"""The Procfile's processes: `yiwang web`, `worker`, `consumers`, `scheduler`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from core.settings import get_settings
from ops.runtime import check_port_free, prepare, setup
from ops.scale import reuse_port_socket

# The web process builds caches in threads (the suggestions' title index on every batch of changed documents, the
# search lexicon, the Q&A knowledge base) while its event loop serves requests. At CPython's default 5 ms the loop
# waited up to that long for the GIL after each socket call while such a thread ran: at 1 ms, requests' p99 during a
# rebuild fell by about a third (ops.bench.web_convoy: 95 → 60 ms, the rebuild no slower; docs/benchmarks.md).
WEB_SWITCH_INTERVAL_S = 0.001


def web(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    base = get_settings()
    port = args.port or base.port
    # before anything starts, so the error is the first thing said; with --reuse-port, siblings hold it too
    sock = reuse_port_socket(base.host, port) if args.reuse_port else None
    if sock is None:
        check_port_free(base.host, port)
    resolved = setup("web")
    settings = resolved.settings
    prepare(settings)
    print(f"GraphQL: http://{settings.host}:{port}/graphql", flush=True)
    sys.setswitchinterval(WEB_SWITCH_INTERVAL_S)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,
        ws="websockets-sansio",
        lifespan="on",
    )
    uvicorn.Server(config).run(sockets=[sock] if sock else None)
    return 0


def worker(args: argparse.Namespace) -> int:
    """Runs dramatiq with the resolved URLs (dramatiq forks its own worker processes)."""
    resolved = setup("worker")
    prepare(resolved.settings)
    env = resolved.child_env()
    cmd = [
        sys.executable,
        "-m",
        "dramatiq",
        "workers.actors",
        "ops.worker_logs",  # imported by each worker process after the broker: our log lines, with their fields
        "--processes",
        str(args.processes),
        "--threads",
        str(args.threads),
    ]
    os.execve(sys.executable, cmd, env)


def consumers(args: argparse.Namespace) -> int:
    from workers.runtime import run_consumers

    resolved = setup("consumers")
    prepare(resolved.settings)
    asyncio.run(run_consumers(resolved.settings, args.only or None))
    return 0


def scheduler(args: argparse.Namespace) -> int:
    resolved = setup("scheduler")
    prepare(resolved.settings)
    from workers.scheduler import run_scheduler

    asyncio.run(run_scheduler(resolved.settings))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve GraphQL, /healthz, /readyz and /metrics (uvicorn)")
    p.add_argument("--port", type=int, default=None, help="overrides PORT")
    p.add_argument(
        "--reuse-port",
        action="store_true",
        help="share the port with other web processes (SO_REUSEPORT; `yiwang up --scale web=N` passes it)",
    )
    p.set_defaults(func=web)
    w = sub.add_parser("worker", help="run dramatiq job workers (crawls, link checks, rebuilds)")
    w.add_argument("--processes", type=int, default=1)
    w.add_argument("--threads", type=int, default=4)
    w.set_defaults(func=worker)
    c = sub.add_parser("consumers", help="run the JetStream consumers (indexer, search projection, analytics)")
    c.add_argument("--only", action="append", help="run only this consumer (repeatable)")
    c.set_defaults(func=consumers)
    s = sub.add_parser("scheduler", help="enqueue each site's crawl on its schedule (one leader at a time)")
    s.set_defaults(func=scheduler)

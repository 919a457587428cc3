"""`yiwang up`: the whole platform on one machine (the README's first command runs it)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import fcntl
import os
import re
from pathlib import Path
from typing import TextIO

from core.errors import Invalid
from core.logs import setup_logging
from core.settings import Settings, get_settings
from core.sites import load_sites_file
from ops.embedded import EmbeddedServices
from ops.runtime import check_port_free, resolve
from ops.scale import parse_scale

LOCK_NAME = "up.lock"


def hold_data_dir(settings: Settings) -> TextIO:
    """Hold DATA_DIR for this `up` (released when the process ends, however it ends). A second `up` on the same
    directory is refused: it would load the demo sites again with its own ports, and the first run's crawls would
    then fetch from a demo server that stops with the second."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise Invalid(
            f"yiwang up already runs on DATA_DIR {settings.data_dir.resolve()} ({holder}): stop it first (Ctrl-C "
            "where it runs), or give this one its own DATA_DIR"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, GraphQL at http://{settings.host}:{settings.port}/graphql\n")
    handle.flush()
    return handle


def running_up(data_dir: Path) -> str | None:
    """The line of the `yiwang up` that holds DATA_DIR now (`pid N, GraphQL at …`), or None when none runs."""
    try:
        handle = (data_dir / LOCK_NAME).open(encoding="utf-8")
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held: an `up` runs
            return handle.read().strip() or "another process"
        fcntl.flock(handle, fcntl.LOCK_UN)  # not held: a lock left by an `up` that ended
        return None


def running_port(data_dir: Path) -> int | None:
    """The port of the `yiwang up` that holds DATA_DIR now (from its lock's line), or None when none runs: what a
    command of another shell needs to speak for that API (its tokens' issuer is http://HOST:PORT)."""
    found = re.search(r"GraphQL at http://[^/]*:(\d+)/", running_up(data_dir) or "")
    return int(found.group(1)) if found else None


def up(args: argparse.Namespace) -> int:
    settings = get_settings()
    setup_logging(settings.log_level, "text")
    if args.port:
        settings = dataclasses.replace(settings, port=args.port)
    with hold_data_dir(settings):
        return _run(settings, args)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    check_port_free(settings.host, settings.port)  # before starting anything
    if args.sites:
        load_sites_file(Path(args.sites))  # a malformed file is reported before anything starts
    resolved = resolve(settings, start=True)  # the one command that starts the embedded services
    from ops.up import run_up

    sites = Path(args.sites) if args.sites else settings.sites_file
    try:
        return asyncio.run(
            run_up(resolved, demo=not args.no_demo, sites_file=sites, worker_threads=args.threads, scale=args.scale)
        )
    except BaseException:  # Ctrl-C or a failure before run_up watches for signals: stop what this run started
        if resolved.started:
            EmbeddedServices(settings.data_dir).stop()
        raise


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("up", help="run everything: services, demo sites, web, worker, consumers, scheduler")
    p.add_argument("--sites", help="a sites.yaml to crawl instead of the demo site group (or SITES_FILE)")
    p.add_argument("--no-demo", action="store_true", help="do not serve the demo site group")
    p.add_argument("--port", type=int, help="GraphQL port (or PORT; default 8000)")
    p.add_argument("--threads", type=int, default=4, help="worker threads (parallel crawls)")
    p.add_argument(
        "--scale",
        type=parse_scale,
        metavar="KIND=N,…",
        help="processes of each kind, e.g. web=2,worker=2,consumers=2 (others run once; docs/operations.md)",
    )
    p.set_defaults(func=up)

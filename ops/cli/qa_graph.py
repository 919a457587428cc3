"""`yiwang qa-graph rebuild`: bring the service knowledge graph in step with the live service guides."""

from __future__ import annotations

import argparse
import asyncio

from core.qa.graph.store import RebuildSummary, rebuild
from core.services import open_services
from core.settings import Settings
from ops.runtime import prepare, resolve


async def run_rebuild(settings: Settings) -> RebuildSummary:
    async with open_services(settings, name="qa-graph", pool_size=2) as services:
        return await rebuild(services.pool)


def run(args: argparse.Namespace) -> int:
    resolved = resolve()
    prepare(resolved.settings)
    s = asyncio.run(run_rebuild(resolved.settings))
    print(f"{s.guides} guides read, {s.changed} changed, {s.removed} services removed; graph version {s.version}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("qa-graph", help="the service knowledge graph of 一网通答")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = actions.add_parser("rebuild", help="rebuild the graph from the live service guides (idempotent)")
    r.set_defaults(func=run)

"""`yiwang reindex`: rebuild the search index from Postgres in this process and swap it in without downtime."""

from __future__ import annotations

import argparse
import asyncio

from tqdm import tqdm

from core.search.reindex import count_indexable, rebuild
from core.services import need, open_services
from core.settings import Settings
from ops.runtime import prepare, resolve


async def run_reindex(settings: Settings, *, batch_size: int, show_progress: bool = True) -> str:
    """Rebuild with a progress bar (docs/s, ETA); returns the summary line."""
    async with open_services(settings, name="reindex", pool_size=3, engine="required") as services:
        await services.bus.ensure_streams()
        engine = need(services.engine, "a search engine")
        total = await count_indexable(services.pool)
        with tqdm(total=total, unit="doc", desc="reindex", disable=not show_progress, dynamic_ncols=True) as bar:
            result = await rebuild(services.pool, engine, batch_size=batch_size, progress=bar.update, bus=services.bus)
    rate = result.indexed / result.seconds if result.seconds else 0.0
    line = f"indexed {result.indexed} documents in {result.seconds:.1f} s ({rate:.0f} docs/s)"
    if result.caught_up or result.handed_over:
        line += f"; changed during the rebuild: {result.caught_up} re-projected"
        if result.handed_over:
            line += f", {result.handed_over} handed to the running search-projector"
    return line


def run(args: argparse.Namespace) -> int:
    resolved = resolve()
    prepare(resolved.settings)
    print(asyncio.run(run_reindex(resolved.settings, batch_size=args.batch, show_progress=not args.quiet)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reindex",
        help="rebuild the search index from Postgres and swap it in (searches keep working meanwhile)",
    )
    p.add_argument("--batch", type=int, default=500, help="documents per batch (default 500)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)

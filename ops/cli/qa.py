"""`yiwang qa sync-hotline [--source PATH|URL] [--json]`: sync the 12345 hotline knowledge base into the Q&A pairs
and print what changed (docs/qa-connectors.md)."""

from __future__ import annotations

import argparse
import asyncio
import json

from core.clock import system_clock
from core.db import connect_pool
from core.qa.hotline import source_of
from core.qa.sync import SyncSummary, sync_hotline
from core.settings import Settings
from ops.runtime import prepare_database, resolve

REJECTIONS_SHOWN = 20


async def _sync(settings: Settings, location: str) -> SyncSummary:
    await prepare_database(settings)
    source = source_of(location)  # BAD_INPUT before anything is opened when there is no source
    pool = await connect_pool(settings, max_size=3)
    try:
        return await sync_hotline(pool=pool, source=source, now=system_clock(), trigger="cli")
    finally:
        await pool.close()


def run_sync(args: argparse.Namespace) -> int:
    settings = resolve().settings
    location = args.source if args.source is not None else settings.hotline_source
    summary = asyncio.run(_sync(settings, location or ""))
    counts = summary.counts()
    if args.json:
        print(json.dumps({"run": summary.run_id, **counts}, ensure_ascii=False))
        return 0
    print(
        f"run {summary.run_id}: {counts['seen']} rows; added {summary.added}, changed {summary.changed}, "
        f"retired {summary.retired}, revived {summary.revived}, unchanged {summary.unchanged}, "
        f"rejected {counts['rejected']}"
    )
    for row, reason in summary.rejections[:REJECTIONS_SHOWN]:
        print(f"  row {row}: {reason}")
    if len(summary.rejections) > REJECTIONS_SHOWN:
        print(f"  … and {len(summary.rejections) - REJECTIONS_SHOWN} more rejected rows")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("qa", help="the Q&A knowledge base's connectors: sync the 12345 hotline knowledge base")
    commands = parser.add_subparsers(dest="qa_command", metavar="COMMAND")
    sync = commands.add_parser(
        "sync-hotline", help="add, edit and retire pairs to match the 12345 knowledge base (JSON, JSONL or CSV)"
    )
    sync.add_argument("--source", help="a file or an http(s) URL (default HOTLINE_SOURCE)")
    sync.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    sync.set_defaults(func=run_sync)

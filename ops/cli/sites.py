"""`yiwang sites check|load|list`: validate a sites.yaml, load it into Postgres, list what is stored."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from core.db import connect_pool
from core.settings import Settings
from core.sites import list_sites, load_sites_file, sync_sites
from ops.runtime import prepare, resolve


def check(args: argparse.Namespace) -> int:
    sites = load_sites_file(Path(args.file))
    for s in sites:
        print(f"{s.id:<24} {s.level:<4} {s.name}  every {s.schedule_s}s  {', '.join(s.start_urls)}")
    print(f"{args.file}: {len(sites)} sites, valid")
    return 0


async def _load(settings: Settings, path: Path, disable_missing: bool) -> int:
    sites = load_sites_file(path)
    pool = await connect_pool(settings, max_size=2)
    try:
        return await sync_sites(pool, sites, disable_missing=disable_missing)
    finally:
        await pool.close()


def load(args: argparse.Namespace) -> int:
    load_sites_file(Path(args.file))  # validate before starting anything
    resolved = resolve()
    prepare(resolved.settings)
    n = asyncio.run(_load(resolved.settings, Path(args.file), args.disable_missing))
    print(f"loaded {n} sites from {args.file}")
    return 0


async def _list(settings: Settings) -> None:
    pool = await connect_pool(settings, max_size=2)
    try:
        for s in await list_sites(pool, limit=None):
            crawled = s.last_crawled_at.isoformat(timespec="seconds") if s.last_crawled_at else "never"
            state = "" if s.enabled else "  (disabled)"
            print(f"{s.id:<24} {s.level:<4} {s.document_count:>7} docs  last crawl {crawled}  {s.name}{state}")
    finally:
        await pool.close()


def list_cmd(args: argparse.Namespace) -> int:
    asyncio.run(_list(resolve().settings))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sites", help="check, load or list the sites of the group")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = actions.add_parser("check", help="validate a sites.yaml without touching anything")
    c.add_argument("file")
    c.set_defaults(func=check)
    ld = actions.add_parser("load", help="load a sites.yaml into Postgres (upsert by id)")
    ld.add_argument("file")
    ld.add_argument("--disable-missing", action="store_true", help="disable stored sites not in the file")
    ld.set_defaults(func=load)
    ls = actions.add_parser("list", help="list stored sites with document counts")
    ls.set_defaults(func=list_cmd)

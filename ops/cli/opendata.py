"""`yiwang opendata load-demo`, `yiwang opendata key add|list|revoke`: the open-data catalogue and developer keys
from the command line (docs/opendata.md)."""

from __future__ import annotations

import argparse
import asyncio

from core.db import connect_pool
from core.opendata import keys
from core.settings import Settings
from ops.runtime import prepare, resolve


def run_demo(args: argparse.Namespace) -> int:
    from ops.demo.opendata import demo_catalogue

    resolved = resolve()
    prepare(resolved.settings)
    print("\n".join(asyncio.run(demo_catalogue(resolved.settings, datasets=args.datasets))))
    return 0


async def _with_pool(settings: Settings, args: argparse.Namespace) -> int:
    pool = await connect_pool(settings, max_size=2)
    try:
        if args.key_command == "add":
            rate = args.rate or settings.opendata_key_rate_per_min
            key = await keys.create_key(pool=pool, owner=args.owner, is_admin=args.admin, rate_per_min=rate)
            print(key)
            print("keep it now: only its hash is stored. Send it as the Authorization header.")
        elif args.key_command == "list":
            for k in await keys.list_keys(pool=pool):
                state = "revoked" if k.revoked else ("admin" if k.is_admin else "read")
                used = k.last_used.isoformat(timespec="seconds") if k.last_used else "never"
                print(f"{k.prefix}…  {k.owner}  {state}  {k.rate_per_min}/min  calls {k.calls}  last used {used}")
        else:
            await keys.revoke_key(pool=pool, prefix=args.prefix)
            print(f"revoked {args.prefix}")
        return 0
    finally:
        await pool.close()


def run_key(args: argparse.Namespace) -> int:
    if not getattr(args, "key_command", None):
        print("yiwang opendata key add|list|revoke")
        return 2
    return asyncio.run(_with_pool(resolve().settings, args))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("opendata", help="the open-data catalogue (CKAN API): demo data, developer keys")
    commands = parser.add_subparsers(dest="opendata_command", metavar="COMMAND")
    demo = commands.add_parser("load-demo", help="load the demo catalogue (48 departments, ~1,200 datasets)")
    demo.add_argument("--datasets", type=int, default=1200, help="how many datasets (default 1200)")
    demo.set_defaults(func=run_demo)
    key = commands.add_parser("key", help="developer API keys: add, list, revoke")
    key.set_defaults(func=run_key)
    key_commands = key.add_subparsers(dest="key_command", metavar="COMMAND")
    add = key_commands.add_parser("add", help="make a key for OWNER (printed once)")
    add.add_argument("owner")
    add.add_argument("--admin", action="store_true", help="the key may create, change and delete datasets")
    add.add_argument("--rate", type=int, default=0, help="calls per minute (default OPENDATA_KEY_RATE_PER_MIN)")
    key_commands.add_parser("list", help="every key: prefix, owner, rate, usage")
    revoke = key_commands.add_parser("revoke", help="revoke the key starting with PREFIX (as listed)")
    revoke.add_argument("prefix")

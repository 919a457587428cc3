"""`yiwang hall build [HALL]`: check hall layouts and build their GLBs; `yiwang hall list` shows the halls."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from core.bus import HallChanged
from core.halls import BuiltHall, HallLibrary, known_service_ids
from core.services import open_services
from core.settings import Settings
from ops.runtime import resolve

DEMO_ANCHOR = datetime(2024, 6, 30, 12, 0)  # the hall's guides are fixed (SiteSpec.guides): any anchor will do


def demo_service_ids() -> set[str]:
    """The 事项名称 of every service guide the demo site group publishes."""
    from ops.demo.generator import build_group

    return {a.guide.item for site in build_group(DEMO_ANCHOR) for a in site.articles() if a.guide}


async def _stored_service_ids(settings: Settings) -> set[str]:
    async with open_services(settings, name="hall", pool_size=1) as services:
        return await known_service_ids(services.pool)


async def announce(settings: Settings, built: list[BuiltHall]) -> None:
    """Publish HallChanged for each rebuilt hall (the key is the GLB's hash: a repeat is a duplicate)."""
    async with open_services(settings, name="hall", pool_size=1) as services:
        await services.bus.ensure_streams()
        for hall in built:
            event = HallChanged(
                hall_id=hall.id, layout_digest=hall.layout_digest, glb_sha256=hall.sha256, size=hall.size
            )
            await services.bus.publish(event)


def _known(check: str) -> Collection[str] | None:
    if check == "demo":
        return demo_service_ids()
    if check == "db":
        return asyncio.run(_stored_service_ids(resolve().settings))
    return None


def _library(args: argparse.Namespace) -> HallLibrary:
    return HallLibrary(Path(args.root)) if args.root else HallLibrary()


def run_build(args: argparse.Namespace) -> int:
    library = _library(args)
    ids = [args.hall] if args.hall else library.ids()
    known = _known(args.check)
    rebuilt = []
    for hall_id in ids:
        started = time.perf_counter()
        built = library.build(hall_id, force=args.force, known_services=known)
        took = time.perf_counter() - started
        state = "built" if built.rebuilt else "unchanged"
        print(f"{hall_id}: {state} {built.glb} ({built.size:,} bytes, sha256 {built.sha256[:12]}) in {took:.2f} s")
        if built.rebuilt:
            rebuilt.append(built)
    if args.announce and rebuilt:
        asyncio.run(announce(resolve().settings, rebuilt))
        print(f"announced HallChanged for {', '.join(b.id for b in rebuilt)}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    library = _library(args)
    for hall_id in library.ids():
        layout = library.layout(hall_id)
        print(f"{hall_id}\t{layout.name}\t{len(layout.pois)} POIs\t{len(layout.service_ids)} services")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hall", help="3D service halls: check layouts, build GLBs (scene_assets/)")
    p.add_argument("--root", help="the scene_assets folder to read (halls/<id>/hall.yaml) and build into (build/)")
    hall_sub = p.add_subparsers(dest="hall_command", metavar="ACTION", required=True)
    b = hall_sub.add_parser("build", help="check a hall layout (every hall without HALL) and build its GLB")
    b.add_argument("hall", nargs="?", help="hall id (a folder of scene_assets/halls)")
    b.add_argument("--force", action="store_true", help="build even when the layout did not change")
    b.add_argument(
        "--check",
        choices=("none", "demo", "db"),
        default="none",
        help="check service ids against the demo group's guides or the guides stored in Postgres (default none)",
    )
    b.add_argument("--announce", action="store_true", help="publish HallChanged over NATS for each rebuilt hall")
    b.set_defaults(func=run_build)
    ls = hall_sub.add_parser("list", help="the halls under scene_assets/halls")
    ls.set_defaults(func=run_list)

"""`yiwang replica snapshot OUT.tar` / `yiwang replica restore IN.tar`: start a search host from a snapshot.

`snapshot` packs the tantivy index of DATA_DIR (the replica SEARCH_REPLICA_ID, or `--replica`; neither: the
shared index of `search-projector`) while its writer runs, with the YW_DOC sequence it covers. `restore`
installs one as a new replica's index and notes that sequence; the replica's consumers process then reads
the stream from the next one instead of rebuilding from Postgres (docs/operations.md, "Search replicas").
A new replica can also be given SEARCH_REPLICA_SNAPSHOT and restore it itself on its first start.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from core.bus import Bus
from core.bus.progress import DOC_STREAM
from core.errors import Conflict, Invalid, NotFound
from core.search.replica import (
    MARKER,
    consumer_name,
    marker_path,
    read_marker,
    restore_snapshot,
    take_snapshot,
)
from core.search.snapshot import Manifest, index_present
from core.search.snapshot_restore import read_manifest
from core.settings import Settings, get_settings
from ops.cli._files import output_file
from ops.runtime import resolve

T = TypeVar("T")


def _nats(settings: Settings) -> Settings:
    """NATS_URL, or the embedded NATS of DATA_DIR (Postgres is not needed here)."""
    return settings if settings.nats_url else resolve(settings).settings


async def _with_bus(settings: Settings, work: Callable[[Bus], Awaitable[T]]) -> T:
    bus = await Bus(settings, name="yiwang-replica").connect()
    try:
        return await work(bus)
    finally:
        await bus.close()


def _summary(verb: str, manifest: Manifest, path: Path, seconds: float) -> str:
    mb = manifest.size / 1e6
    return (
        f"{verb} {manifest.docs} documents in {manifest.shards} shards ({mb:.1f} MB, {seconds:.1f} s), "
        f"covering {manifest.stream} up to sequence {manifest.seq}: {path}"
    )


def _tantivy(settings: Settings) -> None:
    if settings.search_engine != "tantivy":
        raise Invalid(f"snapshots are of the embedded tantivy index; SEARCH_ENGINE is {settings.search_engine}")


def _set_total(bar: tqdm) -> Callable[[int], None]:
    def sized(total: int) -> None:
        bar.total = total
        bar.refresh()

    return sized


def snapshot_cmd(args: argparse.Namespace) -> int:
    settings = get_settings()
    _tantivy(settings)
    replica = args.replica if args.replica is not None else settings.search_replica_id
    consumer, marker = consumer_name(replica), marker_path(settings.data_dir)
    if not index_present(marker.parent):  # said before anything is connected
        raise NotFound(
            f"no search index at {marker.parent.resolve()}: nothing to snapshot; run this on a search host "
            "with its DATA_DIR (and SEARCH_REPLICA_ID or --replica)"
        )
    out = output_file(args.out)  # a folder, or a place it cannot write, is said before the index is read
    began = time.monotonic()
    with tqdm(unit="B", unit_scale=True, desc="snapshot", disable=args.quiet, dynamic_ncols=True) as bar:
        manifest = asyncio.run(
            _with_bus(
                _nats(settings),
                lambda bus: take_snapshot(
                    bus, out, consumer=consumer, marker=marker, progress=bar.update, sized=_set_total(bar)
                ),
            )
        )
    print(_summary("snapshot of", manifest, out, time.monotonic() - began))
    return 0


def restore_cmd(args: argparse.Namespace) -> int:
    settings = get_settings()
    _tantivy(settings)
    replica = args.replica if args.replica is not None else settings.search_replica_id
    if not replica:
        raise Invalid("restore a snapshot into a search replica: set SEARCH_REPLICA_ID or pass --replica ID")
    consumer, marker = consumer_name(replica), marker_path(settings.data_dir)
    noted = read_marker(marker, consumer)
    if noted is not None:
        raise Conflict(
            f"replica {replica} already has an index here ({marker} notes sequence {noted}): stop its consumers "
            f"process and remove {marker.parent} first to replace it with the snapshot"
        )
    src = Path(args.src)
    total = read_manifest(src, stream=DOC_STREAM).size  # a clear error before NATS is asked anything
    began = time.monotonic()
    with tqdm(total=total, unit="B", unit_scale=True, desc="restore", disable=args.quiet, dynamic_ncols=True) as bar:
        manifest = asyncio.run(
            _with_bus(
                _nats(settings),
                lambda bus: restore_snapshot(bus, src, consumer=consumer, marker=marker, progress=bar.update),
            )
        )
    print(_summary("restored", manifest, marker.parent, time.monotonic() - began))
    print(f"{MARKER} notes sequence {manifest.seq}; start the replica's consumers process to follow the stream")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replica", help="snapshot a search replica's index, or start a new replica from one")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    snap = actions.add_parser("snapshot", help="write the index and the stream sequence it covers to a tar")
    snap.add_argument("out", metavar="OUT.tar")
    snap.set_defaults(func=snapshot_cmd)
    restore = actions.add_parser("restore", help="install a snapshot as this host's replica (no Postgres rebuild)")
    restore.add_argument("src", metavar="IN.tar")
    restore.set_defaults(func=restore_cmd)
    for action in (snap, restore):
        action.add_argument("--replica", metavar="ID", help="the replica's id (default: SEARCH_REPLICA_ID)")
        action.add_argument("--quiet", action="store_true", help="no progress bar")

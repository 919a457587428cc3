"""Search replicas: each search host's own index, fed from YW_DOC by a durable consumer of its own.

A replica starts from a rebuild out of Postgres that records the stream sequence it covers, then reads the
stream from the next sequence: the indexer publishes a DocumentChanged only after its transaction commits,
so every change the rebuild's snapshot misses has a higher sequence than the one read before it. Or it
starts from a snapshot of another replica's index (core/search/snapshot.py) and the sequence that covers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from nats.js.errors import NotFoundError

from core.bus import Bus
from core.bus.progress import DOC_STREAM, SEARCH_PROJECTOR
from core.errors import Conflict, Invalid, NotFound, Upstream
from core.search.engine import SearchEngine
from core.search.reindex import rebuild
from core.search.snapshot import Manifest, Progress, hold_index, index_present, write_snapshot
from core.search.snapshot_restore import check_stream, discard, install, new_generation, read_manifest, unpack
from core.search.tantivy_store import REPLICA_NOTE

log = logging.getLogger(__name__)
MARKER = REPLICA_NOTE  # "REPLICA.json", in the index directory (wiping or setting aside the index drops it)
REPLICA_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def check_replica_id(replica_id: str) -> str:
    """A replica id names a NATS durable consumer: 1-32 of a-z, 0-9, '-' and '_', starting with a letter or digit."""
    if replica_id and not REPLICA_ID.fullmatch(replica_id):
        raise Invalid(
            f"SEARCH_REPLICA_ID must be 1-32 lower-case letters, digits, '-' or '_' (a NATS consumer name), "
            f"not {replica_id!r}"
        )
    return replica_id


def consumer_name(replica_id: str) -> str:
    """The durable consumer (and writer lease) of a replica; no id: the one shared `search-projector`."""
    return f"{SEARCH_PROJECTOR}-{check_replica_id(replica_id)}" if replica_id else SEARCH_PROJECTOR


def marker_path(data_dir: Path, index_name: str = "documents") -> Path:
    """Where a replica notes the stream sequence its index was built at: inside the index's own directory,
    so wiping the index wipes the note and the next start bootstraps."""
    return Path(data_dir) / "search" / index_name / MARKER


@dataclass(frozen=True)
class Start:
    """Where a replica's consumer begins: `after` a stream sequence (a new durable), or where its durable is."""

    after: int | None
    bootstrapped: bool
    from_snapshot: bool = False  # bootstrapped from SEARCH_REPLICA_SNAPSHOT, not rebuilt from Postgres


def read_marker(path: Path, consumer: str) -> int | None:
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("consumer") != consumer or not isinstance(note.get("seq"), int):
        return None
    return int(note["seq"])


def write_marker(path: Path, consumer: str, seq: int, *, source: str = "") -> None:
    """Note `seq`; `source` says where the index came from (`postgres`, `snapshot`), for the operator."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    note: dict[str, object] = {"consumer": consumer, "stream": DOC_STREAM, "seq": seq}
    if source:
        note["from"] = source
    tmp.write_text(json.dumps(note) + "\n", encoding="utf-8")
    tmp.replace(path)


async def _has_durable(bus: Bus, consumer: str) -> bool:
    try:
        await bus.js.consumer_info(DOC_STREAM, consumer)
    except NotFoundError:
        return False
    return True


async def bootstrap(pool: asyncpg.Pool, bus: Bus, engine: SearchEngine, *, consumer: str, marker: Path) -> int:
    """Drop the replica's durable, read the stream's last sequence, rebuild the index from Postgres and note
    that sequence beside it; returns it (the consumer then starts at the next one)."""
    with contextlib.suppress(NotFoundError):
        await bus.js.delete_consumer(DOC_STREAM, consumer)
    await asyncio.to_thread(marker.unlink, missing_ok=True)
    seq = int((await bus.js.stream_info(DOC_STREAM)).state.last_seq)
    result = await rebuild(pool, engine)  # its snapshot starts after `seq` was read
    await asyncio.to_thread(lambda: write_marker(marker, consumer, seq, source="postgres"))
    log.info("search replica bootstrapped", extra={"consumer": consumer, "seq": seq, "indexed": result.indexed})
    return seq


async def start(
    pool: asyncpg.Pool, bus: Bus, engine: SearchEngine, *, consumer: str, marker: Path, snapshot: Path | None = None
) -> Start:
    """Resume the durable when the index and the durable are both there; replay from the noted sequence when
    only the durable is gone (and the stream still holds that far back); else bootstrap, from `snapshot` when
    one is given and usable, from Postgres otherwise."""
    seq = await asyncio.to_thread(read_marker, marker, consumer)
    if seq is not None:
        if await _has_durable(bus, consumer):
            return Start(None, bootstrapped=False)
        first = int((await bus.js.stream_info(DOC_STREAM)).state.first_seq)
        if first <= seq + 1:
            log.info("search replica replays from its bootstrap", extra={"consumer": consumer, "seq": seq})
            return Start(seq, bootstrapped=False)
        log.warning(
            "search replica's noted sequence is gone from the stream; bootstrapping",
            extra={"consumer": consumer, "seq": seq, "first": first},
        )
    if snapshot is not None:
        try:
            manifest = await restore_snapshot(bus, snapshot, consumer=consumer, marker=marker)
            return Start(manifest.seq, bootstrapped=True, from_snapshot=True)
        except (Invalid, NotFound) as exc:
            log.warning(
                "search replica snapshot unusable, rebuilding from Postgres instead: %s",
                exc.message,
                extra={"consumer": consumer, "snapshot": str(snapshot)},
            )
    return Start(await bootstrap(pool, bus, engine, consumer=consumer, marker=marker), bootstrapped=True)


async def _acked(bus: Bus, consumer: str) -> int | None:
    """The stream sequence up to which the durable has acknowledged everything (after the index commit)."""
    try:
        info = await bus.js.consumer_info(DOC_STREAM, consumer)
    except NotFoundError:
        return None
    return int(info.ack_floor.stream_seq or 0)


async def take_snapshot(
    bus: Bus,
    out: Path,
    *,
    consumer: str,
    marker: Path,
    progress: Progress | None = None,
    sized: Progress | None = None,
) -> Manifest:
    """Write a snapshot of the index beside `marker` to `out` while its writer runs (`sized` is told the bytes
    to write, `progress` each part written). The sequence is read before the files: the projector acknowledges
    a batch after committing it, so the files hold at least every change up to it (a replica replaying a few
    changes it already holds applies them once)."""
    root = marker.parent
    if not index_present(root):
        raise NotFound(f"no search index at {root}: nothing to snapshot (is DATA_DIR the search host's?)")
    for _ in range(3):
        noted = await asyncio.to_thread(read_marker, marker, consumer)
        if noted is None and consumer != SEARCH_PROJECTOR:
            raise Conflict(
                f"the index at {root} has no note of {consumer} ({MARKER}): it is bootstrapping or belongs to "
                "another replica; take the snapshot once it consumes"
            )
        acked = await _acked(bus, consumer)
        if noted is None and acked is None:
            raise NotFound(f"no durable {consumer} on {DOC_STREAM}: which changes the index holds is unknown")
        seq = max(s for s in (noted, acked) if s is not None)
        info = await bus.js.stream_info(DOC_STREAM)
        held = await asyncio.to_thread(hold_index, root)
        try:
            if await asyncio.to_thread(read_marker, marker, consumer) != noted:
                continue  # bootstrapped again meanwhile: the files may be a newer index than `seq` says
            if sized is not None:
                sized(sum(size for _, _, size in held.files))
            created = info.created.isoformat() if info.created else None
            write = functools.partial(write_snapshot, seq=seq, stream=DOC_STREAM, consumer=consumer)
            manifest = await asyncio.to_thread(write, held, out, stream_created=created, progress=progress)
        finally:
            held.close()
        log.info("search index snapshot taken", extra={"consumer": consumer, "seq": seq, "docs": manifest.docs})
        return manifest
    raise Upstream(f"the replica {consumer} kept bootstrapping while the snapshot was taken: try again")


async def restore_snapshot(
    bus: Bus, src: Path, *, consumer: str, marker: Path, progress: Progress | None = None
) -> Manifest:
    """Make the snapshot `src` the index beside `marker`, note its sequence for `consumer` and delete that
    durable (it is created again after the sequence). Invalid or NotFound, the live index untouched, when the
    snapshot cannot serve: damaged, of another schema or stream, or older than the stream keeps."""
    root = marker.parent
    manifest = await asyncio.to_thread(read_manifest, src, stream=DOC_STREAM)
    check_stream(manifest, await bus.js.stream_info(DOC_STREAM))
    name = await asyncio.to_thread(new_generation, root)
    try:
        await asyncio.to_thread(unpack, src, root / name, manifest, progress)
        with contextlib.suppress(NotFoundError):
            await bus.js.delete_consumer(DOC_STREAM, consumer)
    except BaseException:
        discard(root, name)  # never live: nothing but this directory to undo
        raise
    await asyncio.to_thread(marker.unlink, missing_ok=True)
    await asyncio.to_thread(install, root, name)
    await asyncio.to_thread(lambda: write_marker(marker, consumer, manifest.seq, source="snapshot"))
    log.info(
        "search replica bootstrapped from a snapshot",
        extra={"consumer": consumer, "seq": manifest.seq, "docs": manifest.docs, "snapshot": str(src)},
    )
    return manifest

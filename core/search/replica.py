"""Search replicas: each search host's own index, fed from YW_DOC by a durable consumer of its own.

A replica starts from a rebuild out of Postgres that records the stream sequence it covers, then reads the
stream from the next sequence: the indexer publishes a DocumentChanged only after its transaction commits,
so every change the rebuild's snapshot misses has a higher sequence than the one read before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from nats.js.errors import NotFoundError

from core.bus import Bus
from core.bus.progress import DOC_STREAM, SEARCH_PROJECTOR
from core.errors import Invalid
from core.search.engine import SearchEngine
from core.search.reindex import rebuild

log = logging.getLogger(__name__)
MARKER = "REPLICA.json"
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


def read_marker(path: Path, consumer: str) -> int | None:
    try:
        note = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("consumer") != consumer or not isinstance(note.get("seq"), int):
        return None
    return int(note["seq"])


def write_marker(path: Path, consumer: str, seq: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"consumer": consumer, "stream": DOC_STREAM, "seq": seq}) + "\n", encoding="utf-8")
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
    await asyncio.to_thread(write_marker, marker, consumer, seq)
    log.info("search replica bootstrapped", extra={"consumer": consumer, "seq": seq, "indexed": result.indexed})
    return seq


async def start(pool: asyncpg.Pool, bus: Bus, engine: SearchEngine, *, consumer: str, marker: Path) -> Start:
    """Resume the durable when the index and the durable are both there; replay from the noted sequence when
    only the durable is gone (and the stream still holds that far back); else bootstrap."""
    seq = await asyncio.to_thread(read_marker, marker, consumer)
    if seq is not None:
        if await _has_durable(bus, consumer):
            return Start(None, bootstrapped=False)
        first = int((await bus.js.stream_info(DOC_STREAM)).state.first_seq)
        if first <= seq + 1:
            log.info("search replica replays from its bootstrap", extra={"consumer": consumer, "seq": seq})
            return Start(seq, bootstrapped=False)
    return Start(await bootstrap(pool, bus, engine, consumer=consumer, marker=marker), bootstrapped=True)

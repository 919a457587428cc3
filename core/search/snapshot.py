"""Snapshots of a tantivy index: its committed segment files, read while its writer runs, in one tar.

A committed tantivy segment never changes: a commit or a merge writes new files and then replaces
`meta.json`, which names the live segments, and only later deletes the files no longer named. A snapshot
reads each shard's `meta.json` once and opens every file it names; an open file stays readable after the
writer deletes it, and a file deleted before it could be opened means the shard moved on: read again.
The tar holds `shard-<i>/<file>` for each shard and, last, `SNAPSHOT.json` (`Manifest`): the stream
sequence the files cover, the schema version, and each file's size and SHA-256.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from core.errors import Invalid, NotFound, Upstream
from core.search.tantivy_schema import SCHEMA_VERSION
from core.search.tantivy_store import POINTER, GenerationStore, shard_paths

FORMAT = 1
MANIFEST = "SNAPSHOT.json"
META = "meta.json"
# The files tantivy writes for every segment (a `<uuid>.<opstamp>.del` besides, once it has deletes).
SEGMENT_PARTS = ("idx", "pos", "term", "store", "fast", "fieldnorm")
ATTEMPTS = 50  # reads of a shard that a commit or merge overtook before giving up
Progress = Callable[[int], object]


@dataclass(frozen=True)
class Manifest:
    """What a snapshot holds: the index's files and the YW_DOC sequence every change up to which they hold."""

    seq: int
    stream: str
    consumer: str  # the durable whose acknowledgements vouch for `seq`
    shards: int
    docs: int
    files: dict[str, dict[str, Any]]  # "shard-<i>/<name>" -> {"size", "sha256"}
    stream_created: str | None = None  # tells a stream deleted and created again (sequences restart) apart
    schema_version: int = SCHEMA_VERSION
    format: int = FORMAT
    taken_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def size(self) -> int:
        return sum(int(f["size"]) for f in self.files.values())

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise Invalid(f"search snapshot format {data.get('format')!r} is not one this code reads ({FORMAT})")
            manifest = cls(**data)
            entries = manifest.files.values()
            if not all(isinstance(f.get("size"), int) and isinstance(f.get("sha256"), str) for f in entries):
                raise ValueError("a file entry lacks its size or checksum")
        except (ValueError, TypeError, AttributeError) as exc:
            raise Invalid(f"the search snapshot's {MANIFEST} is not valid: {exc}") from None
        return manifest


@dataclass
class HeldIndex:
    """The files of one committed state of every shard, open: the writer may delete them meanwhile."""

    generation: str
    files: list[tuple[str, IO[bytes], int]] = field(default_factory=list)  # archive name, open file, size
    shards: int = 0
    docs: int = 0

    def close(self) -> None:
        for _, fh, _ in self.files:
            fh.close()
        self.files.clear()


class _Moved(Exception):
    """The index moved on while it was being read (a segment merged away, a new generation)."""


def live_docs(meta: dict[str, Any]) -> int:
    """Documents a shard's `meta.json` counts: each segment's, less the ones deleted from it."""
    return sum(int(s["max_doc"]) - int((s.get("deletes") or {}).get("num_deleted_docs", 0)) for s in meta["segments"])


def segment_files(meta: dict[str, Any]) -> list[str]:
    """The files of the segments a shard's `meta.json` names."""
    names: list[str] = []
    for segment in meta["segments"]:
        stem = str(segment["segment_id"]).replace("-", "")
        names += [f"{stem}.{part}" for part in SEGMENT_PARTS]
        if segment.get("deletes"):
            names.append(f"{stem}.{segment['deletes']['opstamp']}.del")
    return names


def _hold_shard(held: HeldIndex, shard: Path, prefix: str) -> None:
    try:
        raw = (shard / META).read_bytes()
        meta = json.loads(raw)
        for name in segment_files(meta):
            fh = open(shard / name, "rb")  # noqa: SIM115 - held open until the tar is written
            held.files.append((f"{prefix}/{name}", fh, os.fstat(fh.fileno()).st_size))
    except FileNotFoundError as exc:
        raise _Moved(str(exc)) from exc
    held.files.append((f"{prefix}/{META}", io.BytesIO(raw), len(raw)))
    held.docs += live_docs(meta)


def hold_index(root: Path) -> HeldIndex:
    """Open the files of the live generation's committed state under `root` (DATA_DIR/search/<index>)."""
    store = GenerationStore(root, SCHEMA_VERSION)
    moved = ""
    for _ in range(ATTEMPTS):
        name = store.current()
        if name is None:
            raise NotFound(f"no search index at {root}: nothing to snapshot")
        store.check_version(name)
        held = HeldIndex(name)
        try:
            paths = shard_paths(store.path(name))
            for i, shard in enumerate(paths):
                _hold_shard(held, shard, f"shard-{i}")
            held.shards = len(paths)
            if store.current() == name:
                return held
        except Upstream:  # an incomplete generation: fatal unless a rebuild swapped it out meanwhile
            held.close()
            if store.current() == name:
                raise
        except _Moved as exc:  # a commit or merge overtook the read
            moved = str(exc)
        held.close()
        time.sleep(0.05)
    raise Upstream(
        f"the search index at {root} kept changing while it was read ({moved or 'a new generation'}): take the "
        "snapshot again; if this repeats, the index is damaged (rebuild it with `yiwang reindex`)"
    )


def index_present(root: Path) -> bool:
    return (root / POINTER).exists()


class _Reader:
    """A file read through once while hashing it and reporting the bytes read."""

    def __init__(self, fh: IO[bytes], progress: Progress | None) -> None:
        self.fh, self.progress = fh, progress
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        chunk = self.fh.read(n)
        self.sha.update(chunk)
        if self.progress is not None and chunk:
            self.progress(len(chunk))
        return chunk


def write_snapshot(
    held: HeldIndex,
    out: Path,
    *,
    seq: int,
    stream: str,
    consumer: str,
    stream_created: str | None,
    progress: Progress | None = None,
) -> Manifest:
    """Write the held files and their manifest to `out` (through a temporary file beside it)."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    files: dict[str, dict[str, Any]] = {}
    now = int(time.time())
    try:
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
            for arcname, fh, size in held.files:
                reader = _Reader(fh, progress)
                tar.addfile(_member(arcname, size, now), reader)
                files[arcname] = {"size": size, "sha256": reader.sha.hexdigest()}
            manifest = Manifest(
                seq=seq,
                stream=stream,
                consumer=consumer,
                shards=held.shards,
                docs=held.docs,
                files=files,
                stream_created=stream_created,
            )
            raw = manifest.to_json()
            tar.addfile(_member(MANIFEST, len(raw), now), io.BytesIO(raw))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return manifest


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    return info

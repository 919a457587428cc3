"""Unpacking a search snapshot into a new index generation, checked before it can go live.

Every check failing raises Invalid and leaves the live index untouched: the manifest's format, schema
version and file list; the stream still holding the sequence after the snapshot's; each file's size and
SHA-256; every shard opening in tantivy with the documents the manifest counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
from pathlib import Path

import tantivy
from nats.js.api import StreamInfo

from core.errors import Invalid, NotFound
from core.search.snapshot import MANIFEST, Manifest, Progress
from core.search.tantivy_schema import SCHEMA_VERSION
from core.search.tantivy_store import MAX_SHARDS, GenerationStore, new_shard_paths

MANAGED = ".managed.json"  # the files tantivy may garbage-collect once no commit names them
_MEMBER = re.compile(r"shard-(\d+)/([0-9a-f]{32}(?:\.\d+)?\.[a-z]+|meta\.json)")
CHUNK = 1 << 20


def _open(src: Path) -> tarfile.TarFile:
    if not src.is_file():
        raise NotFound(f"no search snapshot at {src}")
    try:
        return tarfile.open(src, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise Invalid(f"search snapshot {src} cannot be read: {exc}") from None


def read_manifest(src: Path, *, stream: str) -> Manifest:
    """The snapshot's manifest, checked against what this code and this deployment expect."""
    try:
        with _open(src) as tar:
            try:
                member = tar.getmember(MANIFEST)
            except KeyError:
                raise Invalid(
                    f"search snapshot {src} has no {MANIFEST}: cut short, or no yiwang search snapshot"
                ) from None
            fh = tar.extractfile(member)
            manifest = Manifest.from_json(fh.read() if fh else b"")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise Invalid(f"search snapshot {src} cannot be read: {exc}") from None
    if manifest.schema_version != SCHEMA_VERSION:
        raise Invalid(
            f"search snapshot {src} holds a schema v{manifest.schema_version} index; this code reads "
            f"v{SCHEMA_VERSION}: take a new snapshot of a replica running this version, or rebuild"
        )
    if manifest.stream != stream:
        raise Invalid(f"search snapshot {src} follows stream {manifest.stream}, not {stream}")
    if not 1 <= manifest.shards <= MAX_SHARDS:
        raise Invalid(f"search snapshot {src} has {manifest.shards} shards (1-{MAX_SHARDS} expected)")
    for name in manifest.files:
        match = _MEMBER.fullmatch(name)
        if match is None or int(match[1]) >= manifest.shards:
            raise Invalid(f"search snapshot {src} lists a file that is no index file: {name!r}")
    return manifest


def check_stream(manifest: Manifest, info: StreamInfo) -> None:
    """The stream must be the one the snapshot followed and still hold every event after it."""
    first, last = int(info.state.first_seq), int(info.state.last_seq)
    created = info.created.isoformat() if info.created else None
    if manifest.stream_created and created and manifest.stream_created != created:
        raise Invalid(
            f"the snapshot follows a {manifest.stream} created {manifest.stream_created}; this one was created "
            f"{created} (its sequences started again)"
        )
    if last < manifest.seq:
        raise Invalid(f"the snapshot covers {manifest.stream} up to {manifest.seq}, but the stream ends at {last}")
    if first > manifest.seq + 1:
        raise Invalid(
            f"{manifest.stream} no longer holds sequence {manifest.seq + 1} (its oldest is {first}): "
            "the snapshot is older than the stream keeps events"
        )


def unpack(src: Path, generation: Path, manifest: Manifest, progress: Progress | None = None) -> None:
    """Extract and verify the snapshot's files into `generation` (a new, empty generation directory)."""
    paths = new_shard_paths(generation, manifest.shards)
    seen: set[str] = set()
    try:
        with _open(src) as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                entry = manifest.files.get(member.name)
                if entry is None or not member.isfile() or member.name in seen:
                    raise Invalid(f"search snapshot {src} holds {member.name!r}, which its manifest does not list")
                _extract(tar, member, generation / member.name, entry, progress)
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise Invalid(f"search snapshot {src} cannot be read: {exc}") from None
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise Invalid(f"search snapshot {src} lacks {len(missing)} of its files (first {missing[0]}): it was cut short")
    docs = 0
    for path in paths:
        (path / MANAGED).write_text(json.dumps(sorted(p.name for p in path.iterdir())), encoding="utf-8")
        try:
            docs += int(tantivy.Index.open(str(path)).searcher().num_docs)
        except ValueError as exc:
            raise Invalid(f"search snapshot {src}: {path.name} does not open as a tantivy index: {exc}") from None
        _fsync(path)
    if docs != manifest.docs:
        raise Invalid(f"search snapshot {src} opens with {docs} documents; its manifest counts {manifest.docs}")
    _fsync(generation)


def _extract(
    tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, entry: dict[str, object], progress: Progress | None
) -> None:
    source = tar.extractfile(member)
    if source is None:
        raise Invalid(f"{member.name} in the search snapshot is not a file")
    sha = hashlib.sha256()
    size = 0
    with source, open(dest, "wb") as out:
        while chunk := source.read(CHUNK):
            sha.update(chunk)
            out.write(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
        out.flush()
        os.fsync(out.fileno())
    if size != entry["size"] or sha.hexdigest() != entry["sha256"]:
        raise Invalid(f"{member.name} in the search snapshot is damaged: its checksum does not match the manifest")


def _fsync(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_generation(root: Path) -> str:
    """An empty generation directory to unpack into; not live until `install`."""
    store = GenerationStore(root, SCHEMA_VERSION)
    with store.locked():
        return store.new_generation()


def discard(root: Path, name: str) -> None:
    shutil.rmtree(root / name, ignore_errors=True)


def install(root: Path, name: str) -> None:
    """Make the unpacked generation live, as a rebuild's swap does (readers follow `CURRENT`)."""
    store = GenerationStore(root, SCHEMA_VERSION)
    with store.locked():
        previous = store.current()
        store.publish(name)
        store.prune({name} | ({previous} if previous else set()))

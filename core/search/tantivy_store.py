"""Index generations on disk: `gen-*` directories and a `CURRENT` file naming the live one.

A generation holds its documents in `shard-0` … `shard-<n-1>`, each a tantivy index (their number is in
`SHARDS`); a document lives in the shard its id hashes to. Generations written before shards existed are
one index at the top of the directory and are read as a single shard.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from core.errors import Upstream

POINTER = "CURRENT"
REBUILD_OWED = "REBUILD-OWED"  # an older schema's index was set aside: the writer rebuilds from Postgres
REPLICA_NOTE = "REPLICA.json"  # a replica's note of the stream sequence its index covers (core.search.replica)
_PREFIX = "gen-"
_SHARD = "shard-"
_COUNT = "SHARDS"
DEFAULT_SHARDS = 2  # SEARCH_SHARDS' default too
MAX_SHARDS = 16


def shard_of(doc_id: str, shards: int) -> int:
    """The shard a document lives in: the same in every process and every run (unlike `hash`)."""
    return zlib.crc32(doc_id.encode()) % shards


def shard_paths(generation: Path) -> list[Path]:
    """The shards of a generation in order; a generation from before shards is its own single shard."""
    if (generation / "meta.json").exists():
        return [generation]
    try:
        count = int((generation / _COUNT).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        count = 0
    paths = [generation / f"{_SHARD}{i}" for i in range(count)]
    if not paths or not all((path / "meta.json").exists() for path in paths):
        raise Upstream(
            f"search index generation {generation.name} has no complete set of shards: "
            "rebuild it with `yiwang reindex`",
            index=str(generation),
        )
    return paths


def new_shard_paths(generation: Path, shards: int) -> list[Path]:
    """Directories for the shards of a new generation, created, and their number written down."""
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"a search index has 1 to {MAX_SHARDS} shards, not {shards}")
    paths = [generation / f"{_SHARD}{i}" for i in range(shards)]
    for path in paths:
        path.mkdir()
    (generation / _COUNT).write_text(f"{shards}\n", encoding="utf-8")
    return paths


class GenerationStore:
    """The directory of one named index; switching generations is one atomic rename of `CURRENT`."""

    def __init__(self, root: Path, schema_version: int) -> None:
        self.root = root
        self.schema_version = schema_version

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise creating and publishing generations across processes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def pointer_stamp(self) -> tuple[int, int] | None:
        """Changes whenever `CURRENT` is replaced (new inode) or rewritten; None before the first publish."""
        try:
            st = (self.root / POINTER).stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def current(self) -> str | None:
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def path(self, name: str) -> Path:
        return self.root / name

    def is_current_schema(self, name: str) -> bool:
        return name.startswith(f"{_PREFIX}v{self.schema_version}-")

    def owe_rebuild(self, old: str) -> None:
        """Note that `old` (another schema) was set aside for an empty generation; a replica's note goes with it,
        so a replica bootstraps instead of resuming over an index that lacks what the note covers."""
        (self.root / REBUILD_OWED).write_text(old + "\n", encoding="utf-8")
        (self.root / REPLICA_NOTE).unlink(missing_ok=True)

    def rebuild_owed(self) -> bool:
        return (self.root / REBUILD_OWED).exists()

    def rebuild_done(self) -> None:
        (self.root / REBUILD_OWED).unlink(missing_ok=True)

    def check_version(self, name: str) -> None:
        if not name.startswith(f"{_PREFIX}v{self.schema_version}-"):
            raise Upstream(
                f"search index {name} was built with another schema (this code writes v{self.schema_version}): "
                "rebuild it with `yiwang reindex`",
                index=str(self.root),
            )

    def new_generation(self) -> str:
        name = f"{_PREFIX}v{self.schema_version}-{time.time_ns()}-{os.getpid()}"
        self.path(name).mkdir(parents=True)
        return name

    def publish(self, name: str) -> None:
        """Make `name` the live generation: write a temp file, fsync, rename over `CURRENT`."""
        tmp = self.root / f".{POINTER}.{os.getpid()}.{time.time_ns()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / POINTER)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def prune(self, keep: set[str]) -> None:
        """Remove generations older than every kept one: readers elsewhere may still hold the previous
        generation, and a younger one may be a rebuild in progress in another process."""
        oldest_kept = min(_created_ns(name) for name in keep)
        for child in self.root.iterdir():
            name = child.name
            if child.is_dir() and name.startswith(_PREFIX) and name not in keep and _created_ns(name) < oldest_kept:
                shutil.rmtree(child, ignore_errors=True)

    def discard(self, name: str) -> None:
        shutil.rmtree(self.path(name), ignore_errors=True)


def _created_ns(name: str) -> int:
    """`gen-v1-<time_ns>-<pid>` -> time_ns; unparsable names count as oldest."""
    try:
        return int(name.split("-")[2])
    except (IndexError, ValueError):
        return 0

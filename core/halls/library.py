"""The halls under scene_assets/: layouts read and checked when they change, GLBs built when they are stale.

Safe to share: a lock per hall makes concurrent callers of one library (requests run in threads) build once, and
files are written whole (a temporary file of the writer's own, then one rename), so processes building the same
hall at once each leave a complete GLB and manifest. The methods block (reading, building): async code runs them
in a thread."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from core.errors import NotFound
from core.halls.gltf import GENERATOR, build_glb
from core.halls.layout import parse_layout
from core.halls.models import BuiltHall, Layout
from core.halls.plan import Plan, check_services, compile_layout

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2] / "scene_assets"
HALL_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
LAYOUT_FILE = "hall.yaml"


@dataclass(frozen=True)
class _Loaded:
    stamp: str  # sha256 of the layout file
    plan: Plan


@functools.cache
def default_library() -> HallLibrary:
    """The process's library over the repository's scene_assets/ (made on first use, never at import)."""
    return HallLibrary()


class HallLibrary:
    """Halls as data: `root/halls/<id>/hall.yaml` and its files (example cases); GLBs go to `out`."""

    def __init__(self, root: Path = ROOT, out: Path | None = None) -> None:
        self.root = root
        self.out = out or root / "build"
        self._plans: dict[str, _Loaded] = {}
        self._glbs: dict[str, tuple[str, bytes]] = {}  # id -> (sha256, bytes) last served
        self._built: dict[str, BuiltHall] = {}
        self._unreported: set[str] = set()  # rebuilt here, not yet returned by glb() (to announce)
        self._locks: dict[str, threading.RLock] = {}  # one per hall that exists: concurrent callers build once
        self._locks_guard = threading.Lock()

    def ids(self) -> list[str]:
        halls = self.root / "halls"
        return sorted(p.parent.name for p in halls.glob(f"*/{LAYOUT_FILE}") if HALL_ID.fullmatch(p.parent.name))

    def _file(self, hall_id: str) -> Path:
        path = self.root / "halls" / hall_id / LAYOUT_FILE
        if not HALL_ID.fullmatch(hall_id) or not path.is_file():
            raise NotFound(f"no hall {hall_id!r} (halls: {', '.join(self.ids()) or 'none'})")
        return path

    def _lock(self, hall_id: str) -> threading.RLock:
        """The hall's lock, made only for a hall that exists (an unknown id is NotFound, and holds no memory)."""
        self._file(hall_id)
        with self._locks_guard:
            return self._locks.setdefault(hall_id, threading.RLock())

    def plan(self, hall_id: str) -> Plan:
        """The hall's checked plan, read again only when its layout file's bytes changed."""
        with self._lock(hall_id):
            return self._plan(hall_id)

    def _plan(self, hall_id: str) -> Plan:
        text = self._file(hall_id).read_bytes()
        stamp = _sha(text)
        cached = self._plans.get(hall_id)
        if cached is None or cached.stamp != stamp:
            cached = _Loaded(
                stamp=stamp,
                plan=compile_layout(parse_layout(text.decode("utf-8"), source=f"halls/{hall_id}/{LAYOUT_FILE}")),
            )
            self._plans[hall_id] = cached
            self._built.pop(hall_id, None)
        return cached.plan

    def layout(self, hall_id: str) -> Layout:
        return self.plan(hall_id).layout

    def build(self, hall_id: str, *, force: bool = False, known_services: Collection[str] | None = None) -> BuiltHall:
        """Build the GLB unless the last build was of this very layout; `rebuilt` says whether it was."""
        with self._lock(hall_id):
            return self._build(hall_id, force=force, known_services=known_services)

    def _build(self, hall_id: str, *, force: bool, known_services: Collection[str] | None) -> BuiltHall:
        layout = self._plan(hall_id).layout
        if known_services is not None:
            check_services(layout, known_services)
        glb_path, manifest = self.out / f"{hall_id}.glb", self.out / f"{hall_id}.json"
        previous = _read_manifest(manifest)
        fresh = previous.get("layout_digest") == layout.digest and previous.get("generator") == GENERATOR
        if fresh and not force and glb_path.is_file() and _sha(glb_path.read_bytes()) == previous.get("sha256"):
            built = _built(hall_id, glb_path, previous, rebuilt=False)
        else:
            data = build_glb(layout)
            record = {"layout_digest": layout.digest, "generator": GENERATOR, "sha256": _sha(data), "size": len(data)}
            _write_whole(glb_path, data)
            _write_whole(manifest, json.dumps(record, indent=1).encode("utf-8"))
            log.info("hall built", extra={"hall": hall_id, "bytes": len(data)})
            built = _built(hall_id, glb_path, record, rebuilt=True)
            self._glbs[hall_id] = (built.sha256, data)
            self._unreported.add(hall_id)
        self._built[hall_id] = built
        return built

    def current(self, hall_id: str) -> BuiltHall:
        """The hall's GLB as of its layout now: built (and `rebuilt`) only when the layout changed since."""
        return self.state(hall_id)[1]

    def state(self, hall_id: str) -> tuple[Plan, BuiltHall]:
        """The hall's plan and its GLB, of one and the same layout (built first when it changed)."""
        with self._lock(hall_id):
            plan = self._plan(hall_id)  # a changed layout drops the remembered build
            known = self._built.get(hall_id)
            if known is None:
                return plan, self._build(hall_id, force=False, known_services=None)
            return plan, dataclasses.replace(known, rebuilt=False)

    def glb(self, hall_id: str) -> tuple[BuiltHall, bytes]:
        """The current GLB and its bytes, kept in memory by hash; `rebuilt` is true once per rebuild this
        library made, whoever asked first (a `hall` query may rebuild before the GLB is fetched)."""
        with self._lock(hall_id):
            built = self.current(hall_id)
            if hall_id in self._unreported:
                self._unreported.discard(hall_id)
                built = dataclasses.replace(built, rebuilt=True)
            cached = self._glbs.get(hall_id)
            if cached is None or cached[0] != built.sha256:
                data = Path(built.glb).read_bytes()
                cached = (_sha(data), data)
                self._glbs[hall_id] = cached
            return built, cached[1]

    def case_file(self, hall_id: str, name: str) -> Path:
        """An example-case file the layout lists (nothing else under the hall's folder is served)."""
        listed = {c.file for s in self.layout(hall_id).services for c in s.cases}
        if name not in listed:
            raise NotFound(f"hall {hall_id!r} lists no case file {name!r}")
        path = (self.root / "halls" / hall_id / name).resolve()
        if not path.is_relative_to((self.root / "halls" / hall_id).resolve()) or not path.is_file():
            raise NotFound(f"case file {name!r} of hall {hall_id!r} is missing")
        return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_whole(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: into a temporary file of this writer's own beside it (a shared name
    would let one builder rename another's half-written file), then one atomic rename over the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the build from a web server reading build/
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_manifest(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _built(hall_id: str, glb: Path, record: dict[str, object], *, rebuilt: bool) -> BuiltHall:
    return BuiltHall(
        id=hall_id,
        glb=str(glb),
        sha256=str(record["sha256"]),
        size=int(str(record["size"])),
        layout_digest=str(record["layout_digest"]),
        rebuilt=rebuilt,
    )

"""Two builders of one hall at once (two requests, two processes over one scene_assets): both succeed and leave
one whole GLB whose hash the manifest records, and no temporary file behind."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from core.halls import BuiltHall, HallLibrary

ROUNDS = 30


def _race(builders: list[Callable[[], BuiltHall]]) -> list[BuiltHall]:
    """Every builder started at the same moment, ROUNDS times over; every result."""
    gate = threading.Barrier(len(builders))

    def run(build: Callable[[], BuiltHall]) -> list[BuiltHall]:
        done = []
        try:
            for _ in range(ROUNDS):
                gate.wait(timeout=10)
                done.append(build())
        except BaseException:
            gate.abort()  # the other builders stop waiting: the first failure is the one reported
            raise
        return done

    with ThreadPoolExecutor(len(builders)) as pool:
        futures = [pool.submit(run, b) for b in builders]
    failures = [f.exception() for f in futures if f.exception() is not None]
    for failure in sorted(failures, key=lambda e: isinstance(e, threading.BrokenBarrierError)):
        raise failure  # the builder's own error before the others' broken barrier
    return [b for f in futures for b in f.result()]


def _check_output(root: Path, built: list[BuiltHall]) -> None:
    out = root / "build"
    manifest = json.loads((out / "small.json").read_text(encoding="utf-8"))
    data = (out / "small.glb").read_bytes()
    assert data[:4] == b"glTF" and hashlib.sha256(data).hexdigest() == manifest["sha256"] == built[-1].sha256
    assert manifest["size"] == len(data)
    assert sorted(p.name for p in out.iterdir()) == ["small.glb", "small.json"], "a temporary file was left"


def test_two_processes_building_one_hall_at_once_both_succeed(
    small: dict[str, Any], scene_root: Callable[[dict[str, Any]], Path]
) -> None:
    root = scene_root(small)
    # two libraries over the same root: what two API processes are
    libraries = [HallLibrary(root) for _ in range(3)]
    built = _race([functools.partial(lib.build, "small", force=True) for lib in libraries])
    assert len(built) == 3 * ROUNDS and len({b.sha256 for b in built}) == 1
    _check_output(root, built)


def test_two_requests_of_one_process_build_the_hall_once(
    small: dict[str, Any], scene_root: Callable[[dict[str, Any]], Path]
) -> None:
    root = scene_root(small)
    library = HallLibrary(root)
    built = _race([lambda: library.glb("small")[0]] * 4)
    assert sum(b.rebuilt for b in built) == 1, "one build, announced once"
    _check_output(root, built)

"""The GLB: named nodes, POI ids in extras, one mesh per kind placed by instances, small and quick to build."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygltflib
import pytest

from core.errors import NotFound
from core.halls import HallLibrary, build_glb, load_layout
from core.halls.library import ROOT

DEMO = ROOT / "halls" / "demo-budongchan" / "hall.yaml"
MAX_DEMO_BYTES = 1_000_000
MAX_DEMO_BUILD_S = 2.0


def test_the_demo_glb_names_every_node_and_carries_poi_ids() -> None:
    layout = load_layout(DEMO)
    started = time.perf_counter()
    data = build_glb(layout)
    took = time.perf_counter() - started
    assert took < MAX_DEMO_BUILD_S and len(data) < MAX_DEMO_BYTES
    doc = pygltflib.GLTF2.load_from_bytes(data)
    names = {n.name for n in doc.nodes}
    assert "F1/wall/back/0" in names and "F1/counter/counter" in names and "F1/room/lobby" in names
    pois = {n.extras["poi"]: n.extras for n in doc.nodes if n.extras and "poi" in n.extras}
    assert set(pois) == {p.id for p in layout.pois}
    assert pois["window-6"]["services"] == ["住房公积金租房提取（网上办理）", "住房公积金个人住房贷款（网上办理）"]
    assert pois["window-6"]["number"] == 6
    # the upper floor: its own root node, its POIs below it, the connectors with the POIs they lead to
    roots = [doc.nodes[i] for i in doc.scenes[0].nodes]
    assert [(n.name, n.extras["floor"]) for n in roots] == [("F1", "F1"), ("F2", "F2")]
    assert "F2/poi/window-10" in names and "F2/room/archive" in names
    assert pois["stairs-f1"]["connects"] == ["stairs-f2"] and pois["elevator-f2"]["kind"] == "elevator"
    # one mesh (and material) per kind, reused by every node of that kind
    assert len({m.name for m in doc.meshes}) == len(doc.meshes) == len(doc.materials)
    walls = [n for n in doc.nodes if n.name.startswith("F1/wall/")]
    assert len(walls) > len(layout.floors[0].walls)  # doors cut walls into pieces
    assert len({n.mesh for n in walls}) == 1
    assert doc.scenes[0].extras == {"hall": "demo-budongchan", "layoutDigest": layout.digest}


def test_a_wall_is_cut_where_its_doors_are() -> None:
    doc = pygltflib.GLTF2.load_from_bytes(build_glb(load_layout(DEMO)))
    south = sorted((n for n in doc.nodes if n.name.startswith("F1/wall/south/")), key=lambda n: n.translation[0])
    assert len(south) == 2
    left_end = south[0].translation[0] + south[0].scale[0] / 2
    right_start = south[1].translation[0] - south[1].scale[0] / 2
    assert left_end == pytest.approx(22.5) and right_start == pytest.approx(25.5)  # the 3 m main door at x=24


def test_the_library_builds_once_per_layout(
    small: dict[str, Any], scene_root: Callable[[dict[str, Any]], Path]
) -> None:
    root = scene_root(small)
    library = HallLibrary(root)
    first = library.build("small")
    assert first.rebuilt and Path(first.glb).is_file() and (root / "build" / "small.json").is_file()
    again = HallLibrary(root).build("small")
    assert not again.rebuilt and again.sha256 == first.sha256
    built, data = library.glb("small")
    assert built.rebuilt and len(data) == first.size  # this library's own build, reported once by glb()
    assert not library.glb("small")[0].rebuilt
    small["floors"][0]["pois"][1]["at"] = [11.5, 1.5]
    scene_root(small)
    assert library.current("small").rebuilt  # e.g. a hall query sees the change first …
    changed, data = library.glb("small")
    assert changed.rebuilt and changed.sha256 != first.sha256  # … and the GLB route still announces it
    assert not library.glb("small")[0].rebuilt  # a rebuild is reported once
    assert library.build("small", force=True).rebuilt


def test_the_library_refuses_unknown_halls_and_unlisted_files(
    small: dict[str, Any], scene_root: Callable[[dict[str, Any]], Path]
) -> None:
    library = HallLibrary(scene_root(small))
    assert library.ids() == ["small"]
    for bad in ("nope", "../small", "Small", ""):
        with pytest.raises(NotFound):
            library.plan(bad)
    assert library.case_file("small", "cases/a.svg").name == "a.svg"
    for bad in ("hall.yaml", "cases/../hall.yaml", "/etc/passwd"):
        with pytest.raises(NotFound):
            library.case_file("small", bad)

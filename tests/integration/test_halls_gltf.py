"""Every GLB we build passes the Khronos glTF-Validator (npm `gltf-validator`) with no error and no warning.

Infos and hints are allowed; at the time of writing the validator reports none for our files (the shared
unit box is used by every mesh, so there is no unused object to report)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from core.halls import HallLibrary, build_glb, load_layout, parse_layout
from ops.bench.halls_bench import big_layout
from tests.npm import installed, node

pytestmark = pytest.mark.integration
TOOL = Path(__file__).resolve().parents[1] / "gltf"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The GLB of every hall under scene_assets and of the 200 m × 100 m benchmark hall."""
    out = tmp_path_factory.mktemp("glb")
    library = HallLibrary(out=out)
    files = [Path(library.build(hall_id, force=True).glb) for hall_id in library.ids()]
    big = out / "bench-big.glb"
    big.write_bytes(build_glb(parse_layout(yaml.safe_dump(big_layout(), allow_unicode=True), source="big")))
    return [*files, big]


def test_every_built_glb_passes_the_khronos_validator(built: list[Path]) -> None:
    modules = installed(TOOL)
    done = subprocess.run(
        [node(), str(TOOL / "validate.js"), *map(str, built)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(modules)},
    )
    assert done.returncode == 0, done.stderr
    reports = json.loads(done.stdout)
    assert len(reports) == len(built) >= 2
    for path, report in zip(built, reports, strict=True):
        issues = report["issues"]
        shown = json.dumps(issues["messages"], ensure_ascii=False)[:2000]
        assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, f"{path.name}: {shown}"
        assert report["info"]["generator"].startswith("yiwang core.halls")
        assert report["info"]["hasDefaultScene"]


def test_the_demo_glb_fits_a_phone(built: list[Path]) -> None:
    demo = next(p for p in built if p.name == "demo-budongchan.glb")
    assert demo.stat().st_size <= 1_000_000
    assert demo.read_bytes() == build_glb(load_layout(HallLibrary().root / "halls" / "demo-budongchan" / "hall.yaml"))

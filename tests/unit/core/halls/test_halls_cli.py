"""`yiwang hall build` and `yiwang hall list` on a scene folder of their own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops.cli import main


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as done:
        main(argv)
    return int(done.value.code or 0)


def test_build_then_unchanged_then_list(
    small: dict[str, Any], scene_root: Callable[[dict[str, Any]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = scene_root(small)
    assert _run(["hall", "--root", str(root), "build"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("small: built ") and f"{root}/build/small.glb" in out
    assert (root / "build" / "small.glb").read_bytes()[:4] == b"glTF"
    assert _run(["hall", "--root", str(root), "build", "small"]) == 0
    assert capsys.readouterr().out.startswith("small: unchanged ")
    assert _run(["hall", "--root", str(root), "list"]) == 0
    assert capsys.readouterr().out == "small\t小厅\t7 POIs\t2 services\n"


def test_a_bad_layout_or_hall_exits_2_naming_the_problem(
    small: dict[str, Any], scene_root: Callable[[dict[str, Any]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    small["floors"][0]["pois"][3]["at"] = [30, 5]
    root = scene_root(small)
    assert _run(["hall", "--root", str(root), "build"]) == 2
    err = capsys.readouterr().err
    assert "floors[0].pois[3].at: window 'w1' at (30, 5) is outside any room" in err
    assert not (root / "build" / "small.glb").exists()
    assert _run(["hall", "--root", str(root), "build", "nope"]) == 2
    assert "no hall 'nope' (halls: small)" in capsys.readouterr().err


def test_service_ids_checked_against_the_demo_guides(
    small: dict[str, Any], scene_root: Callable[[dict[str, Any]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = scene_root(small)
    assert _run(["hall", "--root", str(root), "build", "--check", "demo"]) == 2
    assert "floors[0].pois[3].services[0]: unknown service id '甲事项'" in capsys.readouterr().err

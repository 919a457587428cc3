"""A small hall layout the unit tests change one thing of at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

SMALL: dict[str, Any] = {
    "id": "small",
    "name": "小厅",
    "address": "示范路1号",
    "grid": 0.25,
    "clearance": 0.25,
    "floors": [
        {
            "id": "F1",
            "name": "一层",
            "rooms": [
                {"id": "hall", "name": "大厅", "rect": [0, 0, 20, 10]},
                {"id": "back", "name": "后厅", "rect": [0, 10, 20, 16]},
            ],
            "walls": [
                {"id": "south", "from": [0, 0], "to": [20, 0]},
                {"id": "middle", "from": [0, 10], "to": [20, 10]},
            ],
            "doors": [
                {"id": "main", "name": "正门", "at": [10, 0], "width": 2.0},
                {"id": "inner", "name": "内门", "at": [18, 10], "width": 1.6},
            ],
            "furniture": [
                {"id": "counter", "kind": "counter", "rect": [4, 7, 16, 8]},
                {"id": "machine", "kind": "ticket_machine", "rect": [12, 2, 12.8, 2.8], "height": 1.5},
                {"id": "seats", "kind": "seats", "rect": [2, 3, 8, 3.6], "height": 0.5},
            ],
            "pois": [
                {"id": "entrance", "kind": "entrance", "name": "正门入口", "at": [10, 1], "reminders": ["请出示证件"]},
                {"id": "ticket", "kind": "ticket", "name": "取号机", "at": [12.4, 1.5]},
                {"id": "waiting", "kind": "waiting", "name": "等候区", "at": [5, 4.5]},
                {"id": "w1", "kind": "window", "name": "1号窗口", "number": 1, "at": [6, 6.2], "services": ["甲事项"]},
                {"id": "w2", "kind": "window", "name": "2号窗口", "number": 2, "at": [14, 6.2], "services": ["乙事项"]},
                {"id": "w3", "kind": "window", "name": "3号窗口", "number": 3, "at": [4, 13], "services": ["甲事项"]},
                {"id": "exit", "kind": "exit", "name": "出口", "at": [19, 2]},
            ],
        }
    ],
    "services": [{"id": "甲事项", "reminders": ["带原件"], "cases": [{"title": "样例", "file": "cases/a.svg"}]}],
    "transit": [
        {
            "id": "bus-1",
            "name": "示范路站",
            "mode": "bus",
            "lines": ["1路"],
            "entrance": "entrance",
            "walk_m": 100,
            "walk_min": 2,
            "steps": ["下车向东"],
            "streetview": ["pano:a"],
        }
    ],
}
KNOWN = {"甲事项", "乙事项"}


@pytest.fixture
def small() -> dict[str, Any]:
    """A fresh copy of the small layout to change."""
    return copy.deepcopy(SMALL)


@pytest.fixture
def as_yaml() -> Callable[[dict[str, Any]], str]:
    return lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.fixture
def scene_root(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """A scene_assets folder holding the given layout as halls/<id>/hall.yaml (and its case file)."""

    def make(data: dict[str, Any]) -> Path:
        folder = tmp_path / "scene" / "halls" / data["id"]
        (folder / "cases").mkdir(parents=True, exist_ok=True)
        (folder / "hall.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        (folder / "cases" / "a.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
        return tmp_path / "scene"

    return make

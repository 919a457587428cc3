"""Layouts: the demo hall is valid; every kind of mistake is reported with its YAML path before any build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.halls import LayoutError, compile_layout, load_layout, parse_layout
from core.halls.library import ROOT
from ops.cli.hall import demo_service_ids
from tests.unit.core.halls.conftest import KNOWN

DEMO = ROOT / "halls" / "demo-budongchan" / "hall.yaml"
Yaml = Callable[[dict[str, Any]], str]


def problems(text: str, known: set[str] | None = KNOWN) -> dict[str, str]:
    with pytest.raises(LayoutError) as caught:
        compile_layout(parse_layout(text, source="t.yaml"), known_services=known)
    assert caught.value.code == "BAD_INPUT"
    return dict(caught.value.problems)


def test_the_demo_hall_is_valid_against_the_demo_groups_service_guides() -> None:
    layout = load_layout(DEMO)
    plan = compile_layout(layout, known_services=demo_service_ids())
    kinds = {p.kind for p in layout.pois}
    assert {"entrance", "ticket", "waiting", "window", "kiosk", "hotline", "exit", "case"} <= kinds
    assert len([p for p in layout.pois if p.kind == "window"]) == 11
    assert set(plan.grids) == {"F1", "F2"}  # F2 has no entrance: its stairs and elevator reach it
    assert {p.kind for p in layout.floors[1].pois} >= {"stairs", "elevator", "window"}
    assert not [p for p in layout.floors[1].pois if p.kind == "entrance"]
    assert layout.transit and all(s.streetview for s in layout.transit)


def test_a_window_outside_any_room_names_its_path(small: dict[str, Any], as_yaml: Yaml) -> None:
    small["floors"][0]["pois"][3]["at"] = [30, 5]
    found = problems(as_yaml(small))
    assert "outside any room" in found["floors[0].pois[3].at"]
    assert "window 'w1'" in found["floors[0].pois[3].at"]


def test_a_poi_inside_a_wall_names_the_wall(small: dict[str, Any], as_yaml: Yaml) -> None:
    small["floors"][0]["pois"][2]["at"] = [5, 10.05]
    found = problems(as_yaml(small))
    assert found["floors[0].pois[2].at"].endswith("is inside wall 'middle'")


def test_a_poi_inside_furniture_or_too_close_to_it(small: dict[str, Any], as_yaml: Yaml) -> None:
    small["floors"][0]["pois"][3]["at"] = [6, 7.5]
    small["floors"][0]["pois"][4]["at"] = [14, 6.9]
    found = problems(as_yaml(small))
    assert "inside counter 'counter'" in found["floors[0].pois[3].at"]
    assert "closer than 0.25 m" in found["floors[0].pois[4].at"]


def test_an_unknown_service_id_is_a_layout_error(small: dict[str, Any], as_yaml: Yaml) -> None:
    small["floors"][0]["pois"][4]["services"] = ["乙事项", "不存在的事项"]
    found = problems(as_yaml(small))
    assert found == {"floors[0].pois[4].services[1]": "unknown service id '不存在的事项': no service guide"}


def test_service_ids_are_only_checked_when_the_guides_are_known(small: dict[str, Any], as_yaml: Yaml) -> None:
    small["floors"][0]["pois"][4]["services"] = ["不存在的事项"]
    plan = compile_layout(parse_layout(as_yaml(small), source="t.yaml"))
    assert "不存在的事项" in plan.layout.service_ids


def test_an_unreachable_window_is_reported(small: dict[str, Any], as_yaml: Yaml) -> None:
    small["floors"][0]["doors"] = [d for d in small["floors"][0]["doors"] if d["id"] != "inner"]
    found = problems(as_yaml(small))
    assert found == {"floors[0].pois[5].at": "window 'w3' is unreachable from the entrance (entrance)"}


def test_field_mistakes_all_come_back_at_once(small: dict[str, Any], as_yaml: Yaml) -> None:
    floor = small["floors"][0]
    floor["pois"][0]["at"] = "north"
    floor["pois"][1]["kind"] = "teleporter"
    floor["furniture"][0]["rect"] = [16, 7, 4, 8]
    floor["pois"][3]["number"] = 0
    del floor["pois"][2]["name"]
    with pytest.raises(LayoutError) as caught:
        parse_layout(as_yaml(small), source="t.yaml")
    found = dict(caught.value.problems)
    assert found["floors[0].pois[0].at"] == "expected [x, y] in metres"
    assert found["floors[0].pois[1].kind"].startswith("unknown kind 'teleporter'")
    assert found["floors[0].furniture[0].rect"].startswith("expected [x0, y0, x1, y1]")
    assert found["floors[0].pois[3].number"] == "expected a window number ≥ 1"
    assert found["floors[0].pois[2].name"] == "missing"
    assert "t.yaml" in caught.value.message and "floors[0].pois[0].at" in caught.value.message


def test_duplicates_windows_without_services_and_bad_transit(small: dict[str, Any], as_yaml: Yaml) -> None:
    floor = small["floors"][0]
    floor["pois"][4]["id"] = "w1"
    floor["pois"][5]["services"] = []
    small["transit"][0]["entrance"] = "w2"
    found = problems(as_yaml(small))
    assert found["floors[0].pois[3]"] == "duplicate POI id 'w1'"
    assert found["floors[0].pois[5]"] == "window 'w3' needs a number and the services it serves"
    assert found["transit[0].entrance"] == "'w2' is not an entrance POI"


def test_text_that_is_not_a_layout(as_yaml: Yaml) -> None:
    with pytest.raises(LayoutError) as caught:
        parse_layout("floors: [", source="t.yaml")
    assert caught.value.problems[0][0] == "(document)"
    with pytest.raises(LayoutError) as caught:
        parse_layout(as_yaml({"id": "x", "name": "x", "address": "x"}), source="t.yaml")
    assert ("floors", "a hall needs at least one floor") in caught.value.problems


def test_a_floor_without_an_entrance(small: dict[str, Any], as_yaml: Yaml, tmp_path: Path) -> None:
    small["floors"][0]["pois"][0]["kind"] = "info"
    small["transit"] = []
    found = problems(as_yaml(small))
    assert found["floors[0].pois"] == "floor F1 has no entrance POI a visitor can stand on"

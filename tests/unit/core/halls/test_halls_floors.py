"""Two floors joined by stairs and an elevator: connector checks with YAML paths, reachability through floors,
cross-floor routes (legs, metres, narration, the cheaper connector) and a walkthrough to an upstairs window."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest

from core.halls import LayoutError, compile_layout, parse_layout, walkthrough
from core.halls.connectors import ELEVATOR_WAIT_M, STAIRS_M_PER_RISE
from core.halls.plan import Plan

Yaml = Callable[[dict[str, Any]], str]
RISE = 4.5


def _upstairs(small: dict[str, Any]) -> dict[str, Any]:
    """The small hall with stairs at its west end, an elevator at its east end and a second floor above."""
    small["floors"][0]["pois"] += [
        {"id": "stairs-1", "kind": "stairs", "name": "楼梯", "at": [1, 9], "connects": ["stairs-2"]},
        {"id": "lift-1", "kind": "elevator", "name": "电梯", "at": [19, 8.5], "connects": ["lift-2"]},
    ]
    small["floors"].append(
        {
            "id": "F2",
            "name": "二层",
            "elevation": RISE,
            "rooms": [{"id": "upper", "name": "二层大厅", "rect": [0, 0, 20, 16]}],
            "pois": [
                {"id": "stairs-2", "kind": "stairs", "name": "二层楼梯", "at": [1, 9], "connects": ["stairs-1"]},
                {"id": "lift-2", "kind": "elevator", "name": "二层电梯", "at": [19, 8.5], "connects": ["lift-1"]},
                {"id": "w4", "kind": "window", "name": "4号窗口", "number": 4, "at": [6, 14], "services": ["丙事项"]},
            ],
        }
    )
    return small


def _plan(data: dict[str, Any], as_yaml: Yaml) -> Plan:
    return compile_layout(parse_layout(as_yaml(data), source="t.yaml"))


def _problems(data: dict[str, Any], as_yaml: Yaml) -> dict[str, str]:
    with pytest.raises(LayoutError) as caught:
        _plan(data, as_yaml)
    assert caught.value.code == "BAD_INPUT"
    return dict(caught.value.problems)


def _length(points: tuple[tuple[float, float], ...]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(points))


def test_a_route_upstairs_takes_the_stairs_in_legs_per_floor(small: dict[str, Any], as_yaml: Yaml) -> None:
    plan = _plan(_upstairs(small), as_yaml)  # F2 has no entrance of its own: the stairs reach it
    route = plan.route("entrance", "w4")
    assert route.floor == "F1" and [leg.floor for leg in route.legs] == ["F1", "F2"]
    first, second = route.legs
    assert first.points[0] == (10, 1) and first.points[-1] == (1, 9)
    assert second.points[0] == (1, 9) and second.points[-1] == (6, 14)
    assert route.points == first.points + second.points
    flight = RISE * STAIRS_M_PER_RISE
    assert route.metres == pytest.approx(_length(first.points) + flight + _length(second.points), abs=0.1)
    assert [leg.metres for leg in route.legs] == [round(_length(leg.points), 1) for leg in route.legs]
    told = route.narration
    assert told.startswith("从正门入口出发") and "；从楼梯上到二层；出二层楼梯后，向" in told
    assert told.endswith("到达4号窗口")
    ride = next(s for s in route.steps if s.instruction == "从楼梯上到二层")
    assert ride.metres == flight and ride.floor == "F2"
    back = plan.route("w4", "entrance")
    assert [leg.floor for leg in back.legs] == ["F2", "F1"] and "从二层楼梯下到一层" in back.narration


def test_without_stairs_the_elevator_is_taken_and_costs_its_wait(small: dict[str, Any], as_yaml: Yaml) -> None:
    data = _upstairs(small)
    by_stairs = _plan(data, as_yaml).route("entrance", "w4")
    data["floors"][0]["pois"] = [p for p in data["floors"][0]["pois"] if p["id"] != "stairs-1"]
    data["floors"][1]["pois"] = [p for p in data["floors"][1]["pois"] if p["id"] != "stairs-2"]
    route = _plan(data, as_yaml).route("entrance", "w4")
    assert "乘电梯上到二层" in route.narration and route.legs[0].points[-1] == (19, 8.5)
    assert route.metres == pytest.approx(sum(_length(leg.points) for leg in route.legs), abs=0.1)  # not walked
    # with both, the stairs won: their cost (the walk and the flight) is below the elevator's (the walk and the wait)
    assert by_stairs.metres < route.metres + ELEVATOR_WAIT_M


def test_connector_mistakes_are_named_by_their_yaml_paths(small: dict[str, Any], as_yaml: Yaml) -> None:
    data = _upstairs(small)
    f1, f2 = data["floors"][0]["pois"], data["floors"][1]["pois"]
    f1[7]["connects"] = ["stairs-9"]  # stairs-1: unknown
    f1[8]["connects"] = ["stairs-1"]  # lift-1: the same floor
    f2[1]["connects"] = ["lift-1", "stairs-1"]  # lift-2: stairs-1 is stairs and does not lead back
    f2[0]["connects"] = []  # stairs-2: leads nowhere
    f1[3]["connects"] = ["w4"]  # a window is no connector
    found = _problems(data, as_yaml)
    assert found["floors[0].pois[7].connects[0]"] == "unknown POI 'stairs-9'"
    assert found["floors[0].pois[8].connects[0]"].startswith("'stairs-1' is on the same floor F1")
    back = "'lift-1' does not connect back to 'lift-2' (add it to its connects)"
    assert found["floors[1].pois[1].connects[0]"] == back
    assert found["floors[1].pois[1].connects[1]"] == "elevator 'lift-2' cannot lead to stairs 'stairs-1'"
    assert found["floors[1].pois[0].connects"] == "stairs 'stairs-2' needs the POI ids it leads to"
    assert found["floors[0].pois[3].connects"] == "only stairs and elevator connect floors"
    # nothing leads up any more: the upstairs window is unreachable, and says so where it stands
    assert found["floors[1].pois[2].at"] == "window 'w4' is unreachable from the entrance (entrance)"


def test_the_walkthrough_climbs_to_an_upstairs_window(small: dict[str, Any], as_yaml: Yaml) -> None:
    plan = _plan(_upstairs(small), as_yaml)
    w = walkthrough(plan, "丙事项")
    # F2 has no waiting area or exit: the visitor waits downstairs and leaves by the ground floor's exit
    assert w.sequence == "正门入口 → 取号机 → 等候区 → 4号窗口 → 出口"
    to_window, to_exit = w.stops[3].route, w.stops[4].route
    assert to_window is not None and to_exit is not None
    assert [leg.floor for leg in to_window.legs] == ["F1", "F2"] and "上到二层" in to_window.narration
    assert [leg.floor for leg in to_exit.legs] == ["F2", "F1"] and "下到一层" in to_exit.narration
    assert w.metres == pytest.approx(sum(s.route.metres for s in w.stops if s.route), abs=0.2)

"""Routes, walkthroughs, directions and "where do I go for X" on the small hall and the demo hall."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest

from core.errors import NotFound
from core.halls import HallLibrary, compile_layout, directions, parse_layout, walkthrough, where_for
from core.halls.grid import Grid, astar
from core.halls.models import ServiceGuide
from core.halls.plan import Plan

Yaml = Callable[[dict[str, Any]], str]


@pytest.fixture
def plan(small: dict[str, Any], as_yaml: Yaml) -> Plan:
    return compile_layout(parse_layout(as_yaml(small), source="t.yaml"))


def _length(points: tuple[tuple[float, float], ...]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(points))


def test_a_route_walks_free_cells_around_the_wall(plan: Plan) -> None:
    route = plan.route("entrance", "w3")
    grid = plan.grids["F1"]
    assert route.points[0] == (10, 1) and route.points[-1] == (4, 13)
    for a, b in zip(route.points, route.points[1:], strict=False):
        assert grid.line_free(a, b), (a, b)
    # through the inner door at x=18: much longer than the straight line through the wall
    assert any(abs(x - 18) < 1.0 and 9 < y < 11 for x, y in route.points)
    assert route.metres == pytest.approx(_length(route.points), abs=0.1)
    assert math.dist((10, 1), (18, 10)) + math.dist((18, 10), (4, 13)) - 1 < route.metres < 30
    assert route.steps[0].instruction.startswith("从正门入口出发")
    assert route.steps[-1].instruction.endswith("到达3号窗口")
    assert sum(s.metres for s in route.steps) == pytest.approx(route.metres, abs=0.3)


def test_a_straight_route_is_one_leg_and_names_what_it_passes(plan: Plan) -> None:
    route = plan.route("w1", "w2")
    assert len(route.points) == 2
    assert route.metres == pytest.approx(8.0, abs=0.01)
    assert route.narration == "从1号窗口出发，向东走8米，到达2号窗口"


def test_a_route_to_where_one_stands_says_so(plan: Plan) -> None:
    route = plan.route("w1", "w1")
    assert route.metres == 0 and route.narration == "您已在1号窗口", route.narration  # once: 向东走0米，到达1号窗口


def test_unknown_pois_and_no_way(plan: Plan, small: dict[str, Any], as_yaml: Yaml) -> None:
    with pytest.raises(NotFound, match=r"no POI 'nowhere' \(the start; known: entrance, ticket"):
        plan.route("nowhere", "w1")
    with pytest.raises(NotFound, match="the destination"):
        plan.route("w1", "nowhere")
    blocked = Grid(x0=0, y0=0, size=1, nx=3, ny=1, free=bytearray([1, 0, 1]))
    assert astar(blocked, 0, 2) is None
    small["floors"].append(
        {
            **small["floors"][0],
            "id": "F2",
            "name": "二层",
            "pois": [{**p, "id": p["id"] + "-2"} for p in small["floors"][0]["pois"]],
        }
    )
    two = compile_layout(parse_layout(as_yaml(small), source="t.yaml"))
    with pytest.raises(NotFound, match="no walkable way from 'entrance' to 'w1-2'"):
        two.route("entrance", "w1-2")  # two floors with an entrance each and no stairs between them


def test_astar_finds_the_shortest_octile_path() -> None:
    grid = Grid(x0=0, y0=0, size=1, nx=5, ny=5, free=bytearray([1] * 25))
    for j in range(4):
        grid.free[j * 5 + 2] = 0  # a wall in column 2, open at the top row
    cells = astar(grid, 0, 4)
    assert cells is not None and cells[0] == 0 and cells[-1] == 4
    assert all(grid.free[c] for c in cells)
    assert 20 in cells or 21 in cells or 22 in cells  # it goes over the top of the wall


def test_the_walkthrough_visits_ticket_waiting_window_exit(plan: Plan) -> None:
    guide = ServiceGuide(
        id="甲事项", document_id="d1", title="甲事项办事指南", url="http://x/g", materials=("身份证", "申请表")
    )
    w = walkthrough(plan, "甲事项", guide)
    assert w.sequence == "正门入口 → 取号机 → 等候区 → 1号窗口 → 出口"
    assert [s.poi.kind for s in w.stops] == ["entrance", "ticket", "waiting", "window", "exit"]
    assert w.stops[0].route is None and all(s.route for s in w.stops[1:])
    assert w.stops[0].reminders == ("请出示证件",)
    window = w.stops[3]
    assert window.checklist == ("身份证", "申请表") and window.reminders == ("带原件",)
    assert w.stops[1].checklist == ("身份证", "申请表") and w.stops[2].checklist == ()
    assert w.metres == pytest.approx(sum(s.route.metres for s in w.stops if s.route), abs=0.2)
    with pytest.raises(NotFound, match="serves '丙事项'"):
        walkthrough(plan, "丙事项")


def test_directions_and_where_for(plan: Plan) -> None:
    d = directions(plan, "bus-1")
    assert d.legs == ("乘1路到示范路站", "下车向东", "步行约100米（约2分钟）到达正门入口")
    with pytest.raises(NotFound, match="stops: bus-1"):
        directions(plan, "metro-9")
    [hit] = where_for([plan], "乙事项")
    assert hit.window.id == "w2" and hit.route.from_poi == "entrance" and hit.route.to_poi == "w2"
    assert {h.service for h in where_for([plan], "事项")} == {"甲事项", "乙事项"}
    with pytest.raises(NotFound):
        where_for([plan], "办护照")


def test_demo_hall_routes_answer_where_to_go() -> None:
    library = HallLibrary()
    plan = library.plan("demo-budongchan")
    [hit] = where_for([plan], "公积金异地转移接续")
    assert hit.window.name == "8号窗口"
    assert hit.route.narration.endswith("到达8号窗口")
    w = walkthrough(plan, "不动产登记资料查询")
    assert w.sequence == "南门入口 → 取号机 → 等候区 → 1号窗口 → 东门出口"

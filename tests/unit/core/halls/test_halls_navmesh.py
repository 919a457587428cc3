"""The navigation mesh: every leg of every route is free, and routes are as short as the grid's own A*."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from core.halls import HallLibrary
from core.halls.grid import Grid, astar
from core.halls.navmesh import build_navmesh, find_path, funnel
from ops.bench.halls_bench import big_plan

SAMPLE = 60


def _grid_length(grid: Grid, a: tuple[float, float], b: tuple[float, float]) -> float:
    ca, cb = grid.cell(*a), grid.cell(*b)
    assert ca is not None and cb is not None
    cells = astar(grid, ca, cb)
    assert cells is not None
    return (
        math.dist(a, grid.centre(cells[0]))
        + sum(math.dist(grid.centre(c), grid.centre(d)) for c, d in itertools.pairwise(cells))
        + math.dist(grid.centre(cells[-1]), b)
    )


def test_demo_routes_are_free_and_no_longer_than_the_grid_path() -> None:
    plan = HallLibrary().plan("demo-budongchan")
    pairs = [(p.id, q.id) for f in plan.layout.floors for p, q in itertools.permutations(f.pois, 2)]
    for a, b in random.Random(16).sample(pairs, SAMPLE):
        route = plan.route(a, b)
        start, end = plan.layout.poi(a), plan.layout.poi(b)
        assert start is not None and end is not None
        grid = plan.grids[start.floor]  # a pair of one floor walks that floor
        assert [leg.floor for leg in route.legs] == [start.floor]
        for u, v in itertools.pairwise(route.points):
            assert grid.line_free(u, v), (a, b, u, v)
        # any-angle beats 8-connected cells; 1 % slack for the portal insets
        assert route.metres <= _grid_length(grid, start.at, end.at) * 1.01 + 0.1, (a, b)


def test_big_hall_routes_go_round_the_counters_through_the_doors() -> None:
    plan = big_plan()
    mesh = plan.meshes["F1"]
    assert len(mesh.portals) < 1000  # a few hundred portals stand for 320,000 cells
    route = plan.route("w33", "w14")  # another wing, the far side of a counter row
    assert any(69 < x < 71 for x, _ in route.points)  # through a door in the wing wall at x=70
    for u, v in itertools.pairwise(route.points):
        assert plan.grids["F1"].line_free(u, v)
    assert route.metres < 90  # round the counter's near end, not its far end (109 m)


def test_points_in_one_rectangle_and_unconnected_points() -> None:
    grid = Grid(x0=0, y0=0, size=1, nx=5, ny=3, free=bytearray([1, 1, 0, 1, 1] * 3))
    mesh = build_navmesh(grid)
    assert find_path(mesh, (0.5, 0.5), (1.5, 2.5)) == [(0.5, 0.5), (1.5, 2.5)]
    assert find_path(mesh, (0.5, 0.5), (4.5, 0.5)) is None
    assert find_path(mesh, (2.5, 0.5), (0.5, 0.5)) is None  # from a blocked cell


def test_the_funnel_bends_only_at_the_corner() -> None:
    # walking north through two gates whose free parts step east: one bend, at the inner corner
    path = funnel((0.5, 0.0), (3.5, 4.0), [((0.0, 1.0), (1.0, 1.0)), ((3.0, 3.0), (4.0, 3.0))])
    assert path[0] == (0.5, 0.0) and path[-1] == (3.5, 4.0)
    assert len(path) == 4 and path[1] == (1.0, 1.0) and path[2] == (3.0, 3.0)
    assert funnel((0.0, 0.0), (0.0, 5.0), [((-1.0, 1.0), (1.0, 1.0))]) == [(0.0, 0.0), (0.0, 5.0)]


@pytest.mark.parametrize("seed", [1, 2])
def test_routes_are_symmetric_in_length(seed: int) -> None:
    plan = HallLibrary().plan("demo-budongchan")
    ids = [p.id for p in plan.layout.pois]
    a, b = random.Random(seed).sample(ids, 2)
    assert plan.route(a, b).metres == pytest.approx(plan.route(b, a).metres, rel=0.02)

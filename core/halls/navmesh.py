"""A navigation mesh from the walkable grid: free cells merged into rectangles (convex, so any straight walk
inside one is free), portals where two touch, A* over the portals and the funnel to pull the path tight.

A* straight on a 0.25 m grid floods hundreds of thousands of cells in a big hall whenever a wall stands
between the two POIs; over the rectangles of the same grid it searches a few hundred portals instead.
"""

from __future__ import annotations

import heapq
import itertools
import math
from array import array
from dataclasses import dataclass

from core.halls.grid import Grid

Point = tuple[float, float]


@dataclass(frozen=True, kw_only=True)
class Portal:
    """Where two rectangles touch: a horizontal segment at `y` from `x0` to `x1` (inset from the corners)."""

    below: int
    above: int
    y: float
    x0: float
    x1: float
    west_dy: float = 0.0  # each end moved off the cell boundary, into the row that is free beyond it
    east_dy: float = 0.0

    @property
    def mid(self) -> Point:
        return ((self.x0 + self.x1) / 2, self.y)


@dataclass(frozen=True, kw_only=True)
class NavMesh:
    grid: Grid
    rects: list[tuple[int, int, int, int]]  # i0, i1, j0, j1: cells, inclusive
    owner: array  # cell -> rectangle index, -1 where blocked
    portals: list[Portal]
    touching: list[list[int]]  # rectangle -> its portals

    def rect_of(self, p: Point) -> int:
        c = self.grid.cell(*p)
        return -1 if c is None else self.owner[c]


def _runs(row: bytes | bytearray) -> list[tuple[int, int]]:
    """The (first, last) cells of each run of free cells in a row."""
    runs, i, n = [], 0, len(row)
    while i < n:
        start = row.find(1, i)
        if start < 0:
            break
        end = row.find(0, start)
        end = n if end < 0 else end
        runs.append((start, end - 1))
        i = end
    return runs


def build_navmesh(grid: Grid) -> NavMesh:
    """Rectangles of equal runs in consecutive rows, and a portal wherever one ends just below another."""
    rects: list[list[int]] = []
    active: dict[tuple[int, int], int] = {}
    portals: list[Portal] = []
    for j in range(grid.ny):
        runs = _runs(grid.free[j * grid.nx : (j + 1) * grid.nx])
        ended = [r for span, r in active.items() if span not in runs]
        started = []
        continued: dict[tuple[int, int], int] = {}
        for span in runs:
            if span in active:
                rects[active[span]][3] = j
                continued[span] = active[span]
            else:
                rects.append([span[0], span[1], j, j])
                continued[span] = len(rects) - 1
                started.append(len(rects) - 1)
        portals += _portals(grid, rects, ended, started, j)
        active = continued
    owner = array("i", [-1]) * (grid.nx * grid.ny)
    for n, (i0, i1, j0, j1) in enumerate(rects):
        block = array("i", [n]) * (i1 - i0 + 1)
        for j in range(j0, j1 + 1):
            owner[j * grid.nx + i0 : j * grid.nx + i1 + 1] = block
    touching: list[list[int]] = [[] for _ in rects]
    for k, portal in enumerate(portals):
        touching[portal.below].append(k)
        touching[portal.above].append(k)
    return NavMesh(
        grid=grid, rects=[(a, b, c, d) for a, b, c, d in rects], owner=owner, portals=portals, touching=touching
    )


def _portals(grid: Grid, rects: list[list[int]], ended: list[int], started: list[int], j: int) -> list[Portal]:
    found = []
    inset = grid.size * 0.35  # keep the walk off the corner cells' edges
    for b in ended:
        for a in started:
            lo, hi = max(rects[a][0], rects[b][0]), min(rects[a][1], rects[b][1])
            if lo > hi:
                continue
            x0, x1 = grid.x0 + lo * grid.size + inset, grid.x0 + (hi + 1) * grid.size - inset
            # A walk that turns round the corner at an end runs along the boundary beside a blocked cell:
            # move that end into the row that goes on past the corner.
            west = _side(rects[a][0], rects[b][0], inset)
            east = _side(-rects[a][1], -rects[b][1], inset)
            found.append(
                Portal(below=b, above=a, y=grid.y0 + j * grid.size, x0=x0, x1=max(x0, x1), west_dy=west, east_dy=east)
            )
    return found


def _side(above_edge: int, below_edge: int, inset: float) -> float:
    """Up when the row above reaches further out (its edge is smaller), down when the row below does."""
    if above_edge < below_edge:
        return inset
    if below_edge < above_edge:
        return -inset
    return 0.0


def _cross(p: Portal, at: Point, goal: Point) -> Point:
    """Where a walk from `at` would cross the portal: where the straight line on to the goal does, else the
    end of the portal nearest to that line."""
    x = at[0]
    if goal[1] != at[1]:
        x += (goal[0] - at[0]) * (p.y - at[1]) / (goal[1] - at[1])
    return (min(max(x, p.x0), p.x1), p.y)


def _candidates(p: Portal, at: Point, goal: Point) -> tuple[Point, Point, Point]:
    """The points a walk may cross a portal at: either end (where shortest walks bend) or straight on."""
    return ((p.x0, p.y), (p.x1, p.y), _cross(p, at, goal))


class _Search:
    """A* over (portal, crossing point): each portal is crossed at either end (where shortest walks bend) or
    straight on towards the goal — a close guess of the pulled path, which the funnel then makes exact."""

    def __init__(self, mesh: NavMesh, goal: Point) -> None:
        self.portals = mesh.portals
        self.goal = goal
        self.best: dict[int, float] = {}
        self.at: dict[int, Point] = {}
        self.came: dict[int, int] = {}
        self.heap: list[tuple[float, float, int]] = []

    def reach(self, k: int, origin: Point, g: float, parent: int | None) -> None:
        for n, q in enumerate(_candidates(self.portals[k], origin, self.goal)):
            key = k * 3 + n
            ng = g + math.dist(origin, q)
            if ng < self.best.get(key, math.inf):
                self.best[key], self.at[key] = ng, q
                if parent is not None:
                    self.came[key] = parent
                heapq.heappush(self.heap, (ng + math.dist(q, self.goal), ng, key))

    def run(self, mesh: NavMesh, rb: int) -> list[int] | None:
        done: set[int] = set()
        while self.heap:
            _, g, key = heapq.heappop(self.heap)
            if key in done:
                continue
            done.add(key)
            p = self.portals[key // 3]
            if rb in (p.below, p.above):
                return [k // 3 for k in _back(self.came, key)]
            for n in (*mesh.touching[p.below], *mesh.touching[p.above]):
                if n != key // 3:
                    self.reach(n, self.at[key], g, key)
        return None


def _corridor(mesh: NavMesh, start: Point, goal: Point, ra: int, rb: int) -> list[int] | None:
    """The portals of the cheapest way from rectangle `ra` to `rb`."""
    search = _Search(mesh, goal)
    for k in mesh.touching[ra]:
        search.reach(k, start, 0.0, None)
    return search.run(mesh, rb)


def _back(came: dict[int, int], k: int) -> list[int]:
    path = [k]
    while k in came:
        k = came[k]
        path.append(k)
    path.reverse()
    return path


def _area2(a: Point, b: Point, c: Point) -> float:
    return (c[0] - a[0]) * (b[1] - a[1]) - (b[0] - a[0]) * (c[1] - a[1])


def funnel(start: Point, goal: Point, gates: list[tuple[Point, Point]]) -> list[Point]:
    """The shortest polyline from start to goal through the (left, right) gates (the simple stupid funnel)."""
    gates = [*gates, (goal, goal)]
    path = [start]
    apex = left = right = start
    apex_i = left_i = right_i = 0
    i = 0
    while i < len(gates):
        new_left, new_right = gates[i]
        if _area2(apex, right, new_right) <= 0:
            if apex == right or _area2(apex, left, new_right) > 0:
                right, right_i = new_right, i + 1
            else:
                path.append(left)
                apex, apex_i = left, left_i
                left = right = apex
                left_i = right_i = apex_i
                i = apex_i
                continue
        if _area2(apex, left, new_left) >= 0:
            if apex == left or _area2(apex, right, new_left) < 0:
                left, left_i = new_left, i + 1
            else:
                path.append(right)
                apex, apex_i = right, right_i
                left = right = apex
                left_i = right_i = apex_i
                i = apex_i
                continue
        i += 1
    if path[-1] != goal:
        path.append(goal)
    return path


def _pulled(mesh: NavMesh, start: Point, goal: Point, corridor: list[int], ra: int) -> list[Point]:
    gates: list[tuple[Point, Point]] = []
    rect = ra
    for k in corridor:
        p = mesh.portals[k]
        west, east = (p.x0, p.y + p.west_dy), (p.x1, p.y + p.east_dy)
        # walking north (from the rectangle below) west is on the left; walking south it is on the right
        gates.append((west, east) if rect == p.below else (east, west))
        rect = p.above if rect == p.below else p.below
    return funnel(start, goal, gates)


def _length(points: list[Point]) -> float:
    return sum(math.dist(a, b) for a, b in itertools.pairwise(points))


def find_path(mesh: NavMesh, start: Point, goal: Point) -> list[Point] | None:
    """A short free polyline start→goal, or None when they are not connected. The corridor is searched from
    both ends (the crossing guesses err differently each way) and the shorter pulled path is kept."""
    ra, rb = mesh.rect_of(start), mesh.rect_of(goal)
    if ra < 0 or rb < 0:
        return None
    if ra == rb:
        return [start, goal]
    there = _corridor(mesh, start, goal, ra, rb)
    if there is None:
        return None
    forward = _pulled(mesh, start, goal, there, ra)
    back = _corridor(mesh, goal, start, rb, ra)
    backward = forward if back is None else _pulled(mesh, goal, start, back, rb)[::-1]
    return forward if _length(forward) <= _length(backward) else backward

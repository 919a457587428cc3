"""The walkable grid of a floor (rooms minus walls and furniture, doors open); cell A* is the reference the
navigation mesh (navmesh.py) is tested against."""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

from core.halls.models import Floor, Rect

SQRT2 = math.sqrt(2.0)
# (di, dj, cost) of the 8 neighbours; diagonals only where both sides are free (no corner cutting).
STEPS = (
    (1, 0, 1.0),
    (-1, 0, 1.0),
    (0, 1, 1.0),
    (0, -1, 1.0),
    (1, 1, SQRT2),
    (1, -1, SQRT2),
    (-1, 1, SQRT2),
    (-1, -1, SQRT2),
)


@dataclass(frozen=True, kw_only=True)
class Grid:
    """Cells of `size` metres from (x0, y0); `free[j * nx + i]` is 1 where a visitor can stand."""

    x0: float
    y0: float
    size: float
    nx: int
    ny: int
    free: bytearray

    def cell(self, x: float, y: float) -> int | None:
        i, j = int((x - self.x0) / self.size), int((y - self.y0) / self.size)
        if 0 <= i < self.nx and 0 <= j < self.ny:
            return j * self.nx + i
        return None

    def centre(self, c: int) -> tuple[float, float]:
        j, i = divmod(c, self.nx)
        return (self.x0 + (i + 0.5) * self.size, self.y0 + (j + 0.5) * self.size)

    def walkable(self, x: float, y: float) -> bool:
        c = self.cell(x, y)
        return c is not None and self.free[c] == 1

    def _fill(self, rect: Rect, value: int) -> None:
        i0 = max(0, math.floor((rect.x0 - self.x0) / self.size))
        i1 = min(self.nx, math.ceil((rect.x1 - self.x0) / self.size))
        j0 = max(0, math.floor((rect.y0 - self.y0) / self.size))
        j1 = min(self.ny, math.ceil((rect.y1 - self.y0) / self.size))
        if i1 <= i0:
            return
        row = bytes([value]) * (i1 - i0)
        for j in range(j0, j1):
            self.free[j * self.nx + i0 : j * self.nx + i1] = row

    def component(self, start: int) -> bytearray:
        """Cells reachable from `start` (1) — a flood fill, used to find unreachable POIs."""
        seen = bytearray(len(self.free))
        if not self.free[start]:
            return seen
        seen[start] = 1
        queue = deque([start])
        nx, free = self.nx, self.free
        while queue:
            c = queue.popleft()
            _j, i = divmod(c, nx)
            for n in (c - 1 if i > 0 else -1, c + 1 if i < nx - 1 else -1, c - nx, c + nx):
                if 0 <= n < len(free) and free[n] and not seen[n]:
                    seen[n] = 1
                    queue.append(n)
        return seen

    def line_free(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the straight walk a→b crosses only free cells (sampled at a quarter cell)."""
        dist = math.dist(a, b)
        steps = max(1, int(dist / (self.size / 4)))
        for k in range(steps + 1):
            t = k / steps
            if not self.walkable(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t):
                return False
        return True


def floor_grid(floor: Floor, *, size: float, clearance: float) -> Grid:
    """The floor's grid: room cells free, walls and furniture (grown by `clearance`) blocked, doors open."""
    rects = [r.rect for r in floor.rooms]
    x0, y0 = min(r.x0 for r in rects), min(r.y0 for r in rects)
    x1, y1 = max(r.x1 for r in rects), max(r.y1 for r in rects)
    nx, ny = max(1, math.ceil((x1 - x0) / size)), max(1, math.ceil((y1 - y0) / size))
    grid = Grid(x0=x0, y0=y0, size=size, nx=nx, ny=ny, free=bytearray(nx * ny))
    for rect in rects:
        grid._fill(rect, 1)
    for wall in floor.walls:
        grid._fill(_grow(wall.rect, clearance), 0)
    for door in floor.doors:
        half = door.width / 2
        grid._fill(Rect(door.at[0] - half, door.at[1] - half, door.at[0] + half, door.at[1] + half), 1)
    for item in floor.furniture:
        grid._fill(_grow(item.rect, clearance), 0)
    return grid


def _grow(rect: Rect, by: float) -> Rect:
    return Rect(rect.x0 - by, rect.y0 - by, rect.x1 + by, rect.y1 + by)


def astar(grid: Grid, start: int, goal: int) -> list[int] | None:
    """The cells of a shortest 8-connected path start→goal (octile heuristic), or None when there is none."""
    nx, free, size = grid.nx, grid.free, len(grid.free)
    gi, gj = goal % nx, goal // nx

    def h(c: int) -> float:
        dx, dy = abs(c % nx - gi), abs(c // nx - gj)
        # octile distance, nudged up a hair so ties favour cells nearer the goal (fewer expansions)
        return (max(dx, dy) + (SQRT2 - 1) * min(dx, dy)) * 1.001

    best: dict[int, float] = {start: 0.0}
    came: dict[int, int] = {}
    done = bytearray(size)
    heap = [(h(start), 0.0, start)]
    while heap:
        _, g, c = heapq.heappop(heap)
        if c == goal:
            return _walk_back(came, c)
        if done[c]:
            continue
        done[c] = 1
        ci = c % nx
        for di, dj, cost in STEPS:
            if not 0 <= ci + di < nx:
                continue
            n = c + di + dj * nx
            if not 0 <= n < size or not free[n] or done[n]:
                continue
            if di and dj and not (free[c + di] and free[c + dj * nx]):
                continue
            ng = g + cost
            if ng < best.get(n, math.inf):
                best[n] = ng
                came[n] = c
                heapq.heappush(heap, (ng + h(n), ng, n))
    return None


def _walk_back(came: dict[int, int], c: int) -> list[int]:
    path = [c]
    while c in came:
        c = came[c]
        path.append(c)
    path.reverse()
    return path

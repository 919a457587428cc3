"""Floors joined by stairs and elevators: the connector checks, reachability through floors, and the cheapest
chain of floor walks and connector rides between two POIs (Dijkstra over the connectors)."""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass

from core.halls.grid import Grid
from core.halls.models import CONNECTOR_KINDS, Layout, Poi
from core.halls.navmesh import NavMesh, find_path

# What a floor change costs, in metres of walking: stairs are walked, a flight being about twice its rise
# (a 30° stair); an elevator is not walked, but waiting for the car costs about half a minute of walking.
STAIRS_M_PER_RISE = 2.0
ELEVATOR_WAIT_M = 30.0

Point = tuple[float, float]


def check_connectors(layout: Layout) -> list[tuple[str, str]]:
    """Every `connects` entry names a connector of the same kind on another floor that connects back."""
    problems = []
    for poi in layout.pois:
        if poi.kind not in CONNECTOR_KINDS:
            if poi.connects:
                problems.append((f"{poi.path}.connects", f"only {' and '.join(CONNECTOR_KINDS)} connect floors"))
            continue
        if not poi.connects:
            problems.append((f"{poi.path}.connects", f"{poi.kind} {poi.id!r} needs the POI ids it leads to"))
        for n, other_id in enumerate(poi.connects):
            problem = _link_problem(layout, poi, other_id)
            if problem:
                problems.append((f"{poi.path}.connects[{n}]", problem))
    return problems


def _link_problem(layout: Layout, poi: Poi, other_id: str) -> str:
    other = layout.poi(other_id)
    if other is None:
        return f"unknown POI {other_id!r}"
    if other.floor == poi.floor:
        return f"{other_id!r} is on the same floor {poi.floor} (a connector leads to another floor)"
    if other.kind != poi.kind:
        return f"{poi.kind} {poi.id!r} cannot lead to {other.kind} {other_id!r}"
    if poi.id not in other.connects:
        return f"{other_id!r} does not connect back to {poi.id!r} (add it to its connects)"
    return ""


def unreached(layout: Layout, grids: dict[str, Grid]) -> list[Poi]:
    """The POIs a visitor cannot reach from any entrance, walking each floor's grid and taking connectors."""
    reached = {f: bytearray(len(g.free)) for f, g in grids.items()}
    todo = [p for p in layout.pois if p.kind == "entrance"]
    while todo:
        poi = todo.pop()
        grid = grids.get(poi.floor)
        cell = None if grid is None else grid.cell(*poi.at)
        if grid is None or cell is None or not grid.free[cell] or reached[poi.floor][cell]:
            continue
        part = grid.component(cell)
        reached[poi.floor] = bytearray(a | b for a, b in zip(reached[poi.floor], part, strict=True))
        for c in layout.floor(poi.floor).pois:
            at = grid.cell(*c.at)
            if c.kind in CONNECTOR_KINDS and at is not None and part[at]:
                todo += [o for o in (layout.poi(i) for i in c.connects) if o is not None]
    lost = []
    for poi in layout.pois:
        grid = grids.get(poi.floor)
        cell = None if grid is None else grid.cell(*poi.at)
        if grid is not None and cell is not None and grid.free[cell] and not reached[poi.floor][cell]:
            lost.append(poi)
    return lost


def ride_cost(a: Poi, b: Poi, layout: Layout) -> tuple[float, float]:
    """(cost, metres walked) of taking connector `a` to `b` on another floor."""
    rise = abs(layout.floor(b.floor).elevation - layout.floor(a.floor).elevation)
    if a.kind == "stairs":
        return rise * STAIRS_M_PER_RISE, rise * STAIRS_M_PER_RISE
    return ELEVATOR_WAIT_M, 0.0


@dataclass(frozen=True)
class Hop:
    """One edge of a chain: a walk on `a`'s floor (with its points) or a ride from connector `a` to `b`."""

    a: Poi
    b: Poi
    points: tuple[Point, ...] | None  # None: a ride


def cheapest_chain(layout: Layout, meshes: dict[str, NavMesh], start: Poi, end: Poi) -> list[Hop] | None:
    """The walks and rides of the cheapest way from `start` to `end` (Dijkstra whose nodes are the two POIs and
    the connectors; a walk costs its length on the floor's mesh, a ride `ride_cost`), None when there is none."""
    connectors = [p for p in layout.pois if p.kind in CONNECTOR_KINDS]
    best: dict[str, float] = {start.id: 0.0}
    came: dict[str, Hop] = {}
    heap: list[tuple[float, int, Poi]] = [(0.0, 0, start)]
    tie = itertools.count(1)
    done: set[str] = set()
    while heap:
        cost, _, u = heapq.heappop(heap)
        if u.id in done:
            continue
        done.add(u.id)
        if u.id == end.id:
            return _back(came, end.id)
        for hop, step in _edges(layout, meshes, u, end, connectors):
            if hop.b.id not in done and cost + step < best.get(hop.b.id, math.inf):
                best[hop.b.id], came[hop.b.id] = cost + step, hop
                heapq.heappush(heap, (cost + step, next(tie), hop.b))
    return None


def _edges(
    layout: Layout, meshes: dict[str, NavMesh], u: Poi, end: Poi, connectors: list[Poi]
) -> list[tuple[Hop, float]]:
    """The walks from `u` to the connectors of its floor (and to `end` when it is there), and the rides on."""
    edges = []
    targets = [c for c in connectors if c.floor == u.floor and c.id != u.id]
    if end.floor == u.floor:
        targets.append(end)
    for t in targets:
        points = find_path(meshes[u.floor], u.at, t.at)
        if points is not None:
            edges.append((Hop(u, t, tuple(points)), sum(math.dist(p, q) for p, q in itertools.pairwise(points))))
    if u.kind in CONNECTOR_KINDS:
        for other in (layout.poi(i) for i in u.connects):
            if other is not None:
                edges.append((Hop(u, other, None), ride_cost(u, other, layout)[0]))
    return edges


def _back(came: dict[str, Hop], end_id: str) -> list[Hop]:
    hops = []
    at = end_id
    while at in came:
        hops.append(came[at])
        at = came[at].a.id
    hops.reverse()
    return hops

"""Routes between POIs: A* over the navigation mesh of the floor grid, pulled tight, told step by step."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from core.errors import NotFound
from core.halls.connectors import Hop, cheapest_chain, ride_cost
from core.halls.models import Layout, Poi, Route, RouteLeg, RouteStep
from core.halls.navmesh import NavMesh, find_path

PASSING_M = 1.5  # a POI this close to a leg is named as passed
STRAIGHT_DEG = 20.0  # turns smaller than this read as "go on straight"
MERGE_M = 1.5  # a leg shorter than this is told as part of the one before
COMPASS = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")


def poi_or_missing(layout: Layout, poi_id: str, role: str) -> Poi:
    poi = layout.poi(poi_id)
    if poi is None:
        known = ", ".join(p.id for p in layout.pois)
        raise NotFound(f"hall {layout.id!r} has no POI {poi_id!r} (the {role}; known: {known})")
    return poi


def find_route(layout: Layout, meshes: dict[str, NavMesh], from_id: str, to_id: str) -> Route:
    """The shortest walk between two POIs, with its length in metres and its narration. POIs of one floor are
    joined on that floor when they can be; otherwise (other floors, or no way on the floor) the walk takes the
    stairs and elevators that make it cheapest (core.halls.connectors)."""
    start, end = poi_or_missing(layout, from_id, "start"), poi_or_missing(layout, to_id, "destination")
    points = find_path(meshes[start.floor], start.at, end.at) if start.floor == end.floor else None
    hops = [Hop(start, end, tuple(points))] if points is not None else cheapest_chain(layout, meshes, start, end)
    if hops is None:
        raise NotFound(f"no walkable way from {from_id!r} to {to_id!r} in hall {layout.id!r}")
    legs: list[RouteLeg] = []
    steps: list[RouteStep] = []
    total = 0.0
    for hop in _merged(hops):
        if hop.points is None:
            step = _ride_step(layout, hop)
            steps.append(step)
            total += step.metres
            continue
        length = sum(math.dist(p, q) for p, q in itertools.pairwise(hop.points))
        total += length
        pts = tuple((round(x, 3), round(y, 3)) for x, y in hop.points)
        legs.append(RouteLeg(floor=hop.a.floor, points=pts, metres=round(length, 1)))
        others = [p for p in layout.floor(hop.a.floor).pois if p.id not in (hop.a.id, hop.b.id)]
        steps += narrate(hop.points, hop.a, hop.b, others, first=not steps)
    return Route(
        from_poi=start.id,
        to_poi=end.id,
        floor=start.floor,
        points=tuple(p for leg in legs for p in leg.points),
        metres=round(total, 1),
        steps=tuple(steps),
        legs=tuple(legs),
    )


def _merged(hops: list[Hop]) -> list[Hop]:
    """Walks on one floor one after the other (past a connector not taken) told as one."""
    out: list[Hop] = []
    for hop in hops:
        last = out[-1] if out else None
        if last is not None and last.points is not None and hop.points is not None:
            out[-1] = Hop(last.a, hop.b, last.points + hop.points[1:])
        else:
            out.append(hop)
    return out


def _ride_step(layout: Layout, hop: Hop) -> RouteStep:
    """从楼梯上到二层 / 乘电梯下到一层: a floor change, with the stairs' flight as its metres."""
    here, there = layout.floor(hop.a.floor), layout.floor(hop.b.floor)
    way = "上" if there.elevation >= here.elevation else "下"
    how = "从" if hop.a.kind == "stairs" else "乘"
    metres = round(ride_cost(hop.a, hop.b, layout)[1], 1)
    return RouteStep(instruction=f"{how}{hop.a.name}{way}到{there.name}", metres=metres, to=hop.b.at, floor=there.id)


def _heading(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))


def _turn(before: float, after: float) -> str:
    delta = (after - before + 180) % 360 - 180
    if abs(delta) < STRAIGHT_DEG:
        return "继续直行"
    if abs(delta) > 150:
        return "掉头"
    side = "左" if delta > 0 else "右"
    return f"{'稍向' if abs(delta) < 60 else ''}{side}转"


def _passed(a: tuple[float, float], b: tuple[float, float], others: Sequence[Poi]) -> list[str]:
    names = []
    for poi in others:
        if _distance_to_segment(poi.at, a, b) <= PASSING_M and poi.kind not in ("sign",):
            names.append(poi.name)
    return names


def _distance_to_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / length2))
    return math.dist(p, (ax + t * dx, ay + t * dy))


def _legs(points: Sequence[tuple[float, float]]) -> list[tuple[tuple[float, float], tuple[float, float], float]]:
    """Legs (start, end, metres), with a leg that keeps the heading (or is shorter than a stride) merged."""
    legs: list[tuple[tuple[float, float], tuple[float, float], float]] = []
    for a, b in itertools.pairwise(points):
        metres = math.dist(a, b)
        if legs:
            start, _, before = legs[-1]
            turn = abs((_heading(start, b) - _heading(a, b) + 180) % 360 - 180)
            if turn < STRAIGHT_DEG or metres < MERGE_M:
                legs[-1] = (start, b, before + metres)
                continue
        legs.append((a, b, metres))
    return legs


def narrate(
    points: Sequence[tuple[float, float]], start: Poi, end: Poi, others: Sequence[Poi], *, first: bool = True
) -> list[RouteStep]:
    """One step per leg: which way, how far, what is passed; the last step names the destination. A walk after
    a floor change (`first` false) starts from the connector: 出楼梯后，向东走…"""
    if start.id == end.id:  # a route from a POI to itself: no "向东走0米"
        return [RouteStep(instruction=f"您已在{end.name}", metres=0.0, to=end.at, floor=start.floor)]
    steps = []
    before: float | None = None
    legs = _legs(points)
    for n, (a, b, length) in enumerate(legs):
        metres = round(length, 1)
        heading = _heading(a, b)
        if before is None:
            opening = f"从{start.name}出发" if first else f"出{start.name}后"
            way = f"{opening}，向{COMPASS[round(heading / 45) % 8]}走{metres:g}米"
        else:
            way = f"{_turn(before, heading)}，走{metres:g}米"
        passed = _passed(a, b, others)
        if passed:
            way += f"，经过{'、'.join(passed)}"
        if n == len(legs) - 1:
            way += f"，到达{end.name}"
        steps.append(RouteStep(instruction=way, metres=metres, to=b, floor=start.floor))
        before = heading
    if not steps:
        steps.append(RouteStep(instruction=f"{end.name}就在{start.name}旁边", metres=0.0, to=end.at, floor=start.floor))
    return steps

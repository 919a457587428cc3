"""A checked layout with its grids: geometry, reachability and service links validated before anything is built."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from core.halls.connectors import check_connectors, unreached
from core.halls.grid import Grid, floor_grid
from core.halls.layout import LayoutError
from core.halls.models import Door, Floor, Furniture, Layout, Poi, Room, Route, Wall
from core.halls.navmesh import NavMesh, build_navmesh
from core.halls.routes import find_route

ROUTE_CACHE = 4096  # routes kept per hall (POI pairs are few; a cache bound all the same)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A layout that passed every check, its walkable grid per floor and the routes already asked for."""

    layout: Layout
    grids: dict[str, Grid]
    meshes: dict[str, NavMesh]
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)

    def route(self, from_id: str, to_id: str) -> Route:
        key = (from_id, to_id)
        found = self.routes.get(key)
        if found is None:
            found = find_route(self.layout, self.meshes, from_id, to_id)
            if len(self.routes) >= ROUTE_CACHE:
                self.routes.clear()
            self.routes[key] = found
        return found


def _duplicates(items: Iterable[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    pairs = list(items)
    counts = Counter(i for i, _ in pairs)
    return [(path, f"duplicate {what} id {i!r}") for i, path in pairs if counts[i] > 1]


def _ids(layout: Layout) -> list[tuple[str, str]]:
    problems = _duplicates(((f.id, f.path) for f in layout.floors), "floor")
    problems += _duplicates(((p.id, p.path) for p in layout.pois), "POI")
    for f in layout.floors:
        things: list[Room | Wall | Door | Furniture] = [*f.rooms, *f.walls, *f.doors, *f.furniture]
        problems += _duplicates(((t.id, f"{t.path}.id") for t in things), "room/wall/door/furniture")
    return problems


def _placement(floor: Floor, poi: Poi, grid: Grid, clearance: float) -> list[tuple[str, str]]:
    x, y = poi.at
    where = f"{poi.path}.at"
    if not any(r.rect.contains(x, y) for r in floor.rooms):
        return [(where, f"{poi.kind} {poi.id!r} at ({x:g}, {y:g}) is outside any room of floor {floor.id}")]
    for wall in floor.walls:
        if wall.rect.contains(x, y):
            return [(where, f"{poi.kind} {poi.id!r} at ({x:g}, {y:g}) is inside wall {wall.id!r}")]
    for item in floor.furniture:
        if item.rect.contains(x, y):
            return [(where, f"{poi.kind} {poi.id!r} at ({x:g}, {y:g}) is inside {item.kind} {item.id!r}")]
    if not grid.walkable(x, y):
        return [(where, f"{poi.id!r} at ({x:g}, {y:g}) is closer than {clearance:g} m to a wall or furniture")]
    return []


def _reach(layout: Layout, grids: dict[str, Grid]) -> list[tuple[str, str]]:
    """Every POI reachable from an entrance, on its floor or up and down the stairs and elevators (a floor
    reached by a connector needs no entrance of its own)."""
    entrances = [p for p in layout.pois if p.kind == "entrance" and p.floor in grids and grids[p.floor].walkable(*p.at)]
    if not entrances:
        return [(f"{f.path}.pois", f"floor {f.id} has no entrance POI a visitor can stand on") for f in layout.floors]
    names = ", ".join(e.id for e in entrances)
    return [
        (f"{poi.path}.at", f"{poi.kind} {poi.id!r} is unreachable from the entrance ({names})")
        for poi in unreached(layout, grids)
    ]


def _services(layout: Layout, known: Collection[str]) -> list[tuple[str, str]]:
    problems = []
    for poi in layout.pois:
        for n, service in enumerate(poi.services):
            if service not in known:
                problems.append((f"{poi.path}.services[{n}]", f"unknown service id {service!r}: no service guide"))
    for note in layout.services:
        if note.id not in known:
            problems.append((f"{note.path}.id", f"unknown service id {note.id!r}: no service guide"))
    return problems


def _links(layout: Layout) -> list[tuple[str, str]]:
    problems = []
    served = set(layout.service_ids)
    for poi in layout.pois:
        if poi.kind == "window" and (poi.number is None or not poi.services):
            problems.append((poi.path, f"window {poi.id!r} needs a number and the services it serves"))
    for note in layout.services:
        if note.id not in served:
            problems.append((f"{note.path}.id", f"service {note.id!r} is served at no window"))
    for stop in layout.transit:
        target = layout.poi(stop.entrance)
        if target is None or target.kind != "entrance":
            problems.append((f"{stop.path}.entrance", f"{stop.entrance!r} is not an entrance POI"))
    return problems


def compile_layout(layout: Layout, *, known_services: Collection[str] | None = None) -> Plan:
    """The layout's plan; LayoutError lists every problem with its YAML path. `known_services` (the service
    guides' 事项名称) is checked when given; without it links are resolved, and reported, when the hall is read."""
    problems = _ids(layout) + _links(layout)
    grids: dict[str, Grid] = {}
    for floor in layout.floors:
        if not floor.rooms:
            problems.append((f"{floor.path}.rooms", "a floor needs at least one room"))
            continue
        grid = floor_grid(floor, size=layout.grid, clearance=layout.clearance)
        grids[floor.id] = grid
        placed = [pr for poi in floor.pois for pr in _placement(floor, poi, grid, layout.clearance)]
        problems += placed
    problems += check_connectors(layout) + _reach(layout, grids)
    if known_services is not None:
        problems += _services(layout, known_services)
    if problems:
        raise LayoutError(layout.source, problems)
    return Plan(layout=layout, grids=grids, meshes={f: build_navmesh(g) for f, g in grids.items()})


def check_services(layout: Layout, known_services: Collection[str]) -> None:
    """LayoutError naming the YAML path of every service id that is not among `known_services`."""
    problems = _services(layout, known_services)
    if problems:
        raise LayoutError(layout.source, problems)

"""The hall layout (floors, rooms, walls, doors, furniture, POIs, transit) and what is derived from it."""

from __future__ import annotations

from dataclasses import dataclass

# POI kinds a layout may name; the walkthrough visits entrance → ticket → waiting → window → exit.
# Connectors (stairs, elevator) join floors: each lists the POIs on other floors it leads to (`connects`).
CONNECTOR_KINDS = ("stairs", "elevator")
POI_KINDS = (
    "entrance",
    "exit",
    "ticket",
    "waiting",
    "window",
    "kiosk",
    "info",
    "sign",
    "hotline",
    "restroom",
    "case",
    *CONNECTOR_KINDS,
)
FURNITURE_KINDS = ("counter", "seats", "kiosk", "ticket_machine", "sign", "desk", "pillar", "board", "plant")


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle on a floor plan, metres: x0 < x1, y0 < y1."""

    x0: float
    y0: float
    x1: float
    y1: float

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        return self.x0 - margin <= x <= self.x1 + margin and self.y0 - margin <= y <= self.y1 + margin

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)


@dataclass(frozen=True, kw_only=True)
class Room:
    id: str
    name: str
    rect: Rect
    path: str  # YAML path, for errors


@dataclass(frozen=True, kw_only=True)
class Wall:
    id: str
    start: tuple[float, float]
    end: tuple[float, float]
    thickness: float
    path: str

    @property
    def rect(self) -> Rect:
        """The wall's footprint (walls run along x or y)."""
        half = self.thickness / 2
        (ax, ay), (bx, by) = self.start, self.end
        return Rect(min(ax, bx) - half, min(ay, by) - half, max(ax, bx) + half, max(ay, by) + half)


@dataclass(frozen=True, kw_only=True)
class Door:
    id: str
    name: str
    at: tuple[float, float]
    width: float
    path: str


@dataclass(frozen=True, kw_only=True)
class Furniture:
    id: str
    kind: str
    rect: Rect
    height: float
    path: str


@dataclass(frozen=True, kw_only=True)
class Poi:
    """A point of interest: where a visitor stands to use something (a window, a ticket machine, an exit)."""

    id: str
    kind: str
    name: str
    floor: str
    at: tuple[float, float]
    number: int | None = None
    services: tuple[str, ...] = ()
    reminders: tuple[str, ...] = ()
    connects: tuple[str, ...] = ()  # stairs / elevator: the POI ids on other floors it leads to
    path: str = ""


@dataclass(frozen=True, kw_only=True)
class Floor:
    id: str
    name: str
    elevation: float
    height: float
    rooms: tuple[Room, ...]
    walls: tuple[Wall, ...]
    doors: tuple[Door, ...]
    furniture: tuple[Furniture, ...]
    pois: tuple[Poi, ...]
    path: str


@dataclass(frozen=True, kw_only=True)
class ExampleCase:
    """A filled sample (实例) a visitor can look at before going: a form image or PDF."""

    title: str
    file: str


@dataclass(frozen=True, kw_only=True)
class ServiceNote:
    """What the hall adds to a service guide the platform holds: example cases and on-site reminders."""

    id: str
    cases: tuple[ExampleCase, ...] = ()
    reminders: tuple[str, ...] = ()
    path: str = ""


@dataclass(frozen=True, kw_only=True)
class TransitStop:
    """A bus or metro stop near the hall and the walk from it to an entrance."""

    id: str
    name: str
    mode: str  # bus | metro
    lines: tuple[str, ...]
    entrance: str  # POI id
    walk_m: int
    walk_min: int
    steps: tuple[str, ...]
    streetview: tuple[str, ...]
    path: str


@dataclass(frozen=True, kw_only=True)
class Layout:
    """One hall as described in its YAML file."""

    id: str
    name: str
    address: str
    hotline: str
    grid: float
    clearance: float
    floors: tuple[Floor, ...]
    services: tuple[ServiceNote, ...]
    transit: tuple[TransitStop, ...]
    source: str  # the YAML file
    digest: str  # sha256 of the YAML bytes

    @property
    def pois(self) -> tuple[Poi, ...]:
        return tuple(p for f in self.floors for p in f.pois)

    def poi(self, poi_id: str) -> Poi | None:
        return next((p for p in self.pois if p.id == poi_id), None)

    def floor(self, floor_id: str) -> Floor:
        return next(f for f in self.floors if f.id == floor_id)

    @property
    def service_ids(self) -> tuple[str, ...]:
        seen = dict.fromkeys(s for p in self.pois for s in p.services)
        return tuple(seen)


@dataclass(frozen=True, kw_only=True)
class RouteStep:
    """One leg of a route: walk `metres` heading `heading`, then what the visitor reaches or passes."""

    instruction: str
    metres: float
    to: tuple[float, float]
    floor: str = ""  # the floor `to` is on ("" : the route's start floor)


@dataclass(frozen=True, kw_only=True)
class RouteLeg:
    """The walk on one floor of a route: from the start (or a connector) to a connector (or the destination)."""

    floor: str
    points: tuple[tuple[float, float], ...]
    metres: float


@dataclass(frozen=True, kw_only=True)
class Route:
    """A route between two POIs; `floor` is the start floor, `points` every leg's points in order, `legs` the
    walk per floor (one leg when both POIs are on one floor); `metres` counts the stairs' flights too."""

    from_poi: str
    to_poi: str
    floor: str
    points: tuple[tuple[float, float], ...]
    metres: float
    steps: tuple[RouteStep, ...]
    legs: tuple[RouteLeg, ...] = ()

    @property
    def narration(self) -> str:
        return "；".join(s.instruction for s in self.steps)


@dataclass(frozen=True, kw_only=True)
class ServiceGuide:
    """A service guide (办事指南) document the platform holds, as the hall shows it."""

    id: str  # the 事项名称 the layout names
    document_id: str
    title: str
    url: str
    materials: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    time_limit: str = ""
    fee: str = ""
    phone: str = ""
    hours: str = ""
    forms: tuple[tuple[str, str], ...] = ()  # (title, url) of the files the guide carries


@dataclass(frozen=True, kw_only=True)
class Stop:
    """One stop of a walkthrough, with what to remember and what to have in hand there."""

    poi: Poi
    action: str
    reminders: tuple[str, ...]
    checklist: tuple[str, ...]
    route: Route | None  # from the previous stop


@dataclass(frozen=True, kw_only=True)
class Walkthrough:
    service: str
    window: Poi
    stops: tuple[Stop, ...]
    metres: float
    sequence: str  # 入口 → 取号机 → 等候区 → 3号窗口 → 出口


@dataclass(frozen=True, kw_only=True)
class Directions:
    stop: TransitStop
    entrance: Poi
    legs: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class BuiltHall:
    """A GLB built from a layout: where it is, its content hash (the ETag) and size."""

    id: str
    glb: str
    sha256: str
    size: int
    layout_digest: str
    rebuilt: bool = False

"""Read a hall layout from YAML: every problem is reported with its YAML path (floors[0].pois[3].at)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from core.errors import Invalid
from core.halls.models import (
    FURNITURE_KINDS,
    POI_KINDS,
    Door,
    ExampleCase,
    Floor,
    Furniture,
    Layout,
    Poi,
    Rect,
    Room,
    ServiceNote,
    TransitStop,
    Wall,
)

T = TypeVar("T")
MAX_SIDE_M = 1000.0
MIN_GRID_M = 0.1


class LayoutError(Invalid):
    """A layout that cannot be built; `problems` holds (YAML path, what is wrong) pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        lines = "; ".join(f"{path}: {what}" for path, what in problems)
        super().__init__(f"layout {source}: {lines}")
        self.source = source
        self.problems = problems


class Reader:
    """Typed field access on YAML mappings that records problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, what: str) -> None:
        self.problems.append((path, what))

    def mapping(self, raw: Any, path: str) -> dict[str, Any]:
        if isinstance(raw, dict):
            return raw
        self.fail(path, "expected a mapping")
        return {}

    def items(self, raw: dict[str, Any], key: str, path: str) -> list[tuple[str, dict[str, Any]]]:
        value = raw.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{path}.{key}" if path else key, "expected a list")
            return []
        where = f"{path}.{key}" if path else key
        return [(f"{where}[{i}]", self.mapping(v, f"{where}[{i}]")) for i, v in enumerate(value)]

    def text(self, raw: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
        self.fail(f"{path}.{key}", "missing" if value is None else "expected text")
        return ""

    def number(self, raw: dict[str, Any], key: str, path: str, default: float | None = None) -> float:
        value = raw.get(key, default)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= MAX_SIDE_M:
            return float(value)
        self.fail(f"{path}.{key}", "missing" if value is None else f"expected a number 0..{MAX_SIDE_M:g}")
        return 0.0

    def point(self, raw: dict[str, Any], key: str, path: str) -> tuple[float, float]:
        value = raw.get(key)
        if isinstance(value, list) and len(value) == 2 and all(_is_num(v) for v in value):
            return (float(value[0]), float(value[1]))
        self.fail(f"{path}.{key}", "expected [x, y] in metres")
        return (0.0, 0.0)

    def rect(self, raw: dict[str, Any], key: str, path: str) -> Rect:
        value = raw.get(key)
        if isinstance(value, list) and len(value) == 4 and all(_is_num(v) for v in value):
            x0, y0, x1, y1 = (float(v) for v in value)
            if x0 < x1 and y0 < y1:
                return Rect(x0, y0, x1, y1)
        self.fail(f"{path}.{key}", "expected [x0, y0, x1, y1] with x0 < x1 and y0 < y1")
        return Rect(0, 0, 0.01, 0.01)

    def strings(self, raw: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(v.strip() for v in value)
        self.fail(f"{path}.{key}", "expected a list of text")
        return ()

    def choice(self, raw: dict[str, Any], key: str, path: str, allowed: Iterable[str]) -> str:
        value = self.text(raw, key, path)
        if value and value not in allowed:
            self.fail(f"{path}.{key}", f"unknown {key} {value!r} (one of {', '.join(allowed)})")
        return value


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _each(
    r: Reader, raw: dict[str, Any], key: str, path: str, make: Callable[[dict[str, Any], str], T]
) -> tuple[T, ...]:
    return tuple(make(item, where) for where, item in r.items(raw, key, path))


def _floor(r: Reader, raw: dict[str, Any], path: str) -> Floor:
    floor_id = r.text(raw, "id", path)
    return Floor(
        id=floor_id,
        name=r.text(raw, "name", path, default=floor_id),
        elevation=r.number(raw, "elevation", path, default=0.0),
        height=r.number(raw, "height", path, default=4.0),
        rooms=_each(
            r,
            raw,
            "rooms",
            path,
            lambda m, p: Room(id=r.text(m, "id", p), name=r.text(m, "name", p), rect=r.rect(m, "rect", p), path=p),
        ),
        walls=_each(
            r,
            raw,
            "walls",
            path,
            lambda m, p: Wall(
                id=r.text(m, "id", p),
                start=r.point(m, "from", p),
                end=r.point(m, "to", p),
                thickness=r.number(m, "thickness", p, default=0.24),
                path=p,
            ),
        ),
        doors=_each(
            r,
            raw,
            "doors",
            path,
            lambda m, p: Door(
                id=r.text(m, "id", p),
                name=r.text(m, "name", p, ""),
                at=r.point(m, "at", p),
                width=r.number(m, "width", p, default=1.6),
                path=p,
            ),
        ),
        furniture=_each(r, raw, "furniture", path, lambda m, p: _furniture(r, m, p)),
        pois=_each(r, raw, "pois", path, lambda m, p: _poi(r, m, p, floor_id)),
        path=path,
    )


def _furniture(r: Reader, m: dict[str, Any], p: str) -> Furniture:
    return Furniture(
        id=r.text(m, "id", p),
        kind=r.choice(m, "kind", p, FURNITURE_KINDS),
        rect=r.rect(m, "rect", p),
        height=r.number(m, "height", p, default=1.1),
        path=p,
    )


def _poi(r: Reader, m: dict[str, Any], p: str, floor_id: str) -> Poi:
    number = m.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 1):
        r.fail(f"{p}.number", "expected a window number ≥ 1")
        number = None
    return Poi(
        id=r.text(m, "id", p),
        kind=r.choice(m, "kind", p, POI_KINDS),
        name=r.text(m, "name", p),
        floor=floor_id,
        at=r.point(m, "at", p),
        number=number,
        services=r.strings(m, "services", p),
        reminders=r.strings(m, "reminders", p),
        connects=r.strings(m, "connects", p),
        path=p,
    )


def _service(r: Reader, m: dict[str, Any], p: str) -> ServiceNote:
    cases = tuple(
        ExampleCase(title=r.text(c, "title", cp), file=r.text(c, "file", cp)) for cp, c in r.items(m, "cases", p)
    )
    return ServiceNote(id=r.text(m, "id", p), cases=cases, reminders=r.strings(m, "reminders", p), path=p)


def _stop(r: Reader, m: dict[str, Any], p: str) -> TransitStop:
    return TransitStop(
        id=r.text(m, "id", p),
        name=r.text(m, "name", p),
        mode=r.choice(m, "mode", p, ("bus", "metro")),
        lines=r.strings(m, "lines", p),
        entrance=r.text(m, "entrance", p),
        walk_m=int(r.number(m, "walk_m", p)),
        walk_min=int(r.number(m, "walk_min", p)),
        steps=r.strings(m, "steps", p),
        streetview=r.strings(m, "streetview", p),
        path=p,
    )


def parse_layout(text: str, *, source: str) -> Layout:
    """The layout in `text`; LayoutError lists every field problem with its YAML path."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LayoutError(source, [("(document)", f"not YAML: {exc}")]) from None
    r = Reader()
    top = r.mapping(raw, "(document)")
    layout = Layout(
        id=r.text(top, "id", ""),
        name=r.text(top, "name", ""),
        address=r.text(top, "address", ""),
        hotline=r.text(top, "hotline", "", default="12345"),
        grid=max(MIN_GRID_M, r.number(top, "grid", "", default=0.25)),
        clearance=r.number(top, "clearance", "", default=0.25),
        floors=_each(r, top, "floors", "", lambda m, p: _floor(r, m, p)),
        services=_each(r, top, "services", "", lambda m, p: _service(r, m, p)),
        transit=_each(r, top, "transit", "", lambda m, p: _stop(r, m, p)),
        source=source,
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )
    r.problems = [(p.lstrip("."), w) for p, w in r.problems]
    if not layout.floors:
        r.fail("floors", "a hall needs at least one floor")
    if r.problems:
        raise LayoutError(source, r.problems)
    return layout


def load_layout(path: Path) -> Layout:
    return parse_layout(path.read_text(encoding="utf-8"), source=path.name)

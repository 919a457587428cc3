"""A visit to a hall: the walkthrough for a service, the way from a bus or metro stop, where to go for X."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import NotFound
from core.halls.models import Directions, Layout, Poi, Route, ServiceGuide, Stop, Walkthrough
from core.halls.plan import Plan
from core.halls.routes import poi_or_missing

ACTIONS = {
    "entrance": "进入大厅",
    "ticket": "取号：选择「{service}」业务",
    "waiting": "在等候区等候叫号",
    "window": "听到叫号后到{name}递交材料办理",
    "exit": "办结后离开",
}


def windows_for(layout: Layout, service: str) -> list[Poi]:
    return [p for p in layout.pois if p.kind == "window" and service in p.services]


def _nearest(layout: Layout, kind: str, to: Poi, *, else_near: Poi | None = None) -> Poi | None:
    """The POI of `kind` nearest `to` on its floor; when that floor has none, the one nearest `else_near` on
    its floor (an upstairs window with no waiting area of its own: wait downstairs)."""
    same = [p for p in layout.pois if p.kind == kind and p.floor == to.floor]
    found = min(same, key=lambda p: math.dist(p.at, to.at), default=None)
    if found is None and else_near is not None and else_near.floor != to.floor:
        return _nearest(layout, kind, else_near)
    return found


def _window(plan: Plan, service: str, entrance: Poi) -> Poi:
    found = windows_for(plan.layout, service)
    if not found:
        served = ", ".join(plan.layout.service_ids)
        raise NotFound(f"no window of hall {plan.layout.id!r} serves {service!r} (served: {served})")
    same_floor = [w for w in found if w.floor == entrance.floor] or found
    return min(same_floor, key=lambda w: (plan.route(entrance.id, w.id).metres, w.number or 0))


def walkthrough(plan: Plan, service: str, guide: ServiceGuide | None = None) -> Walkthrough:
    """Entrance → ticket → waiting → window → exit for `service`, with the routes between the stops, the
    reminders at each and the materials checklist where it matters (from the service guide when there is one)."""
    layout = plan.layout
    entrance = next((p for p in layout.pois if p.kind == "entrance"), None)
    if entrance is None:
        raise NotFound(f"hall {layout.id!r} has no entrance")
    window = _window(plan, service, entrance)
    waiting = _nearest(layout, "waiting", window, else_near=entrance)
    chain = [entrance, _nearest(layout, "ticket", entrance), waiting, window]
    chain.append(_nearest(layout, "exit", window, else_near=entrance) or entrance)
    pois = [p for p in chain if p is not None]
    materials = guide.materials if guide else ()
    note = next((s for s in layout.services if s.id == service), None)
    stops: list[Stop] = []
    total = 0.0
    for n, poi in enumerate(pois):
        route = plan.route(pois[n - 1].id, poi.id) if n else None
        total += route.metres if route else 0.0
        reminders = poi.reminders + (note.reminders if note and poi.kind == "window" else ())
        checklist = materials if poi.kind in ("ticket", "window") else ()
        action = ACTIONS.get(poi.kind, "前往{name}").format(service=service, name=poi.name)
        stops.append(Stop(poi=poi, action=action, reminders=reminders, checklist=checklist, route=route))
    return Walkthrough(
        service=service,
        window=window,
        stops=tuple(stops),
        metres=round(total, 1),
        sequence=" → ".join(p.name for p in pois),
    )


def directions(plan: Plan, stop_id: str) -> Directions:
    """How to get from a bus or metro stop to the hall's entrance: lines, the walk, street-view references."""
    layout = plan.layout
    stop = next((s for s in layout.transit if s.id == stop_id), None)
    if stop is None:
        known = ", ".join(s.id for s in layout.transit) or "none"
        raise NotFound(f"hall {layout.id!r} has no transit stop {stop_id!r} (stops: {known})")
    entrance = poi_or_missing(layout, stop.entrance, "entrance")
    legs = (
        f"乘{'、'.join(stop.lines)}到{stop.name}",
        *stop.steps,
        f"步行约{stop.walk_m}米（约{stop.walk_min}分钟）到达{entrance.name}",
    )
    return Directions(stop=stop, entrance=entrance, legs=legs)


@dataclass(frozen=True, kw_only=True)
class Where:
    """Where to go for a service in one hall: the window and the walk from the entrance to it."""

    hall_id: str
    hall_name: str
    address: str
    service: str
    window: Poi
    route: Route


def where_for(plans: list[Plan], service: str) -> list[Where]:
    """For "where do I go for X": each hall with a window serving X (exactly, else the ids containing X), with
    its window and the route from the entrance. NotFound when no hall serves it."""
    wanted = service.strip()
    answers = []
    for plan in plans:
        layout = plan.layout
        ids = [s for s in layout.service_ids if s == wanted] or [
            s for s in layout.service_ids if wanted and wanted in s
        ]
        entrance = next((p for p in layout.pois if p.kind == "entrance"), None)
        if entrance is None:
            continue
        for sid in ids:
            window = _window(plan, sid, entrance)
            answers.append(
                Where(
                    hall_id=layout.id,
                    hall_name=layout.name,
                    address=layout.address,
                    service=sid,
                    window=window,
                    route=plan.route(entrance.id, window.id),
                )
            )
    if not answers:
        raise NotFound(f"no hall has a window for {service!r}")
    return answers

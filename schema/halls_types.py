"""The GraphQL types of the 3D service halls (schema/halls.py has the queries): a hall, its POIs tied to service
guides, routes, walkthroughs and directions."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

import strawberry

from core.errors import Invalid
from core.halls import BuiltHall, Plan, models, service_guides
from core.halls.visits import directions, walkthrough
from schema.context import Context
from schema.halls_routes import HallPosition, HallRoute

Info = strawberry.Info[Context, None]
MAX_SERVICE_CHARS = 100


@strawberry.type(description="A file a visitor can open: a blank form the guide carries or a filled example case")
class HallFile:
    title: str
    url: str


@strawberry.type(description="A service (事项) a POI serves, with what its service guide says")
class HallService:
    id: str = strawberry.field(description="The 事项名称 the layout names")
    found: bool = strawberry.field(description="False when the platform holds no service guide of this id")
    title: str | None
    url: str | None = strawberry.field(description="The service guide document")
    materials: list[str]
    conditions: list[str]
    time_limit: str | None
    fee: str | None
    phone: str | None
    hours: str | None
    forms: list[HallFile]
    cases: list[HallFile] = strawberry.field(description="Filled example cases (实例) shown in the hall")
    reminders: list[str]


@strawberry.type(description="A point of interest of the hall: a window, the ticket machine, the waiting area …")
class HallPoi:
    id: strawberry.ID
    name: str
    kind: str = strawberry.field(description="entrance, exit, ticket, waiting, window, kiosk, … stairs, elevator")
    number: int | None = strawberry.field(description="The window's number")
    position: HallPosition
    reminders: list[str]
    service_ids: list[str]
    connects: list[strawberry.ID] = strawberry.field(description="Stairs, elevator: the POIs on other floors")
    hall: strawberry.Private[HallView]

    @strawberry.field(description="The services served here, each with its guide (found=false when missing)")
    async def services(self) -> list[HallService]:
        return await self.hall.services(self.service_ids)

    @classmethod
    def of(cls, poi: models.Poi, hall: HallView) -> HallPoi:
        return cls(
            id=strawberry.ID(poi.id),
            name=poi.name,
            kind=poi.kind,
            number=poi.number,
            position=HallPosition.at(poi.at, poi.floor),
            reminders=list(poi.reminders),
            service_ids=list(poi.services),
            connects=[strawberry.ID(c) for c in poi.connects],
            hall=hall,
        )


@strawberry.type(description="One stop of a walkthrough: what to do there, what to remember, what to have")
class HallStop:
    poi: HallPoi
    action: str
    reminders: list[str]
    checklist: list[str] = strawberry.field(description="Materials to have in hand (from the service guide)")
    route: HallRoute | None = strawberry.field(description="The walk from the previous stop")


@strawberry.type(description="The first-person visit for a service: entrance → ticket → waiting → window → exit")
class HallWalkthrough:
    service: str
    window: HallPoi
    stops: list[HallStop]
    metres: float
    sequence: str


@strawberry.type(description="A bus or metro stop near the hall")
class HallTransitStop:
    id: strawberry.ID
    name: str
    mode: str = strawberry.field(description="bus or metro")
    lines: list[str]
    walk_metres: int
    walk_minutes: int
    streetview: list[str] = strawberry.field(description="Street-view panorama references along the walk")


@strawberry.type(description="How to get from a stop to the hall")
class HallDirections:
    stop: HallTransitStop
    entrance: HallPoi
    legs: list[str]


def transit_stop(s: models.TransitStop) -> HallTransitStop:
    return HallTransitStop(
        id=strawberry.ID(s.id),
        name=s.name,
        mode=s.mode,
        lines=list(s.lines),
        walk_metres=s.walk_m,
        walk_minutes=s.walk_min,
        streetview=list(s.streetview),
    )


@strawberry.type(description="A floor of the hall")
class HallFloor:
    id: strawberry.ID
    name: str
    elevation: float
    height: float


class HallView:
    """One hall as a request sees it: its plan and its service guides, read from Postgres once per request."""

    def __init__(self, plan: Plan, info: Info) -> None:
        self.plan = plan
        self.info = info
        self._guides: asyncio.Task[dict[str, models.ServiceGuide]] | None = None

    async def guides(self) -> dict[str, models.ServiceGuide]:
        if self._guides is None:
            self._guides = asyncio.ensure_future(service_guides(self.info.context.pool, self.plan.layout.service_ids))
        return await self._guides

    async def services(self, ids: list[str]) -> list[HallService]:
        guides = await self.guides()
        return [self.service(i, guides.get(i)) for i in ids]

    def service(self, sid: str, guide: models.ServiceGuide | None) -> HallService:
        layout = self.plan.layout
        note = next((s for s in layout.services if s.id == sid), None)
        cases = [
            HallFile(title=c.title, url=f"/halls/{layout.id}/{quote(c.file)}") for c in (note.cases if note else ())
        ]
        return HallService(
            id=sid,
            found=guide is not None,
            title=guide.title if guide else None,
            url=guide.url if guide else None,
            materials=list(guide.materials) if guide else [],
            conditions=list(guide.conditions) if guide else [],
            time_limit=guide.time_limit or None if guide else None,
            fee=guide.fee or None if guide else None,
            phone=guide.phone or None if guide else None,
            hours=guide.hours or None if guide else None,
            forms=[HallFile(title=t, url=u) for t, u in guide.forms] if guide else [],
            cases=cases,
            reminders=list(note.reminders) if note else [],
        )

    def poi(self, poi: models.Poi) -> HallPoi:
        return HallPoi.of(poi, self)


def check_service(service: str) -> str:
    wanted = service.strip()
    if not wanted or len(wanted) > MAX_SERVICE_CHARS:
        raise Invalid(f"service must be 1 to {MAX_SERVICE_CHARS} characters")
    return wanted


@strawberry.type(description="A 3D service hall: its glTF model, POIs tied to service guides, routes and visits")
class Hall:
    id: strawberry.ID
    name: str
    address: str
    hotline: str
    gltf_url: str = strawberry.field(description="The GLB (ETag, Cache-Control and Range requests)")
    viewer_url: str = strawberry.field(description="The hall's viewer page")
    etag: str = strawberry.field(description="The GLB's sha256: it changes when the layout does")
    size_bytes: int
    floors: list[HallFloor]
    transit_stops: list[HallTransitStop]
    view: strawberry.Private[HallView]

    @classmethod
    def of(cls, plan: Plan, built: BuiltHall, info: Info) -> Hall:
        layout = plan.layout
        return cls(
            id=strawberry.ID(layout.id),
            name=layout.name,
            address=layout.address,
            hotline=layout.hotline,
            gltf_url=f"/halls/{layout.id}/hall.glb",
            viewer_url=f"/halls/{layout.id}/",
            etag=built.sha256,
            size_bytes=built.size,
            floors=[
                HallFloor(id=strawberry.ID(f.id), name=f.name, elevation=f.elevation, height=f.height)
                for f in layout.floors
            ],
            transit_stops=[transit_stop(s) for s in layout.transit],
            view=HallView(plan, info),
        )

    @strawberry.field(description="The hall's POIs, optionally of one kind")
    def pois(self, kind: str | None = None) -> list[HallPoi]:
        return [self.view.poi(p) for p in self.view.plan.layout.pois if kind is None or p.kind == kind]

    @strawberry.field(description="Every service served in the hall, with its guide")
    async def services(self) -> list[HallService]:
        return await self.view.services(list(self.view.plan.layout.service_ids))

    @strawberry.field(description="Service ids the layout names that the platform holds no guide for")
    async def missing_services(self) -> list[str]:
        guides = await self.view.guides()
        return [s for s in self.view.plan.layout.service_ids if s not in guides]

    @strawberry.field(name="route", description="The shortest walk between two POIs, with its length in metres")
    def route(self, from_: Annotated[strawberry.ID, strawberry.argument(name="from")], to: strawberry.ID) -> HallRoute:
        return HallRoute.of(self.view.plan.route(str(from_), str(to)))

    @strawberry.field(description="The first-person visit for a service, with reminders and materials per stop")
    async def walkthrough(self, service: str) -> HallWalkthrough:
        sid = check_service(service)
        guide = (await self.view.guides()).get(sid)
        w = walkthrough(self.view.plan, sid, guide)
        view = self.view
        stops = [
            HallStop(
                poi=view.poi(s.poi),
                action=s.action,
                reminders=list(s.reminders),
                checklist=list(s.checklist),
                route=HallRoute.of(s.route) if s.route else None,
            )
            for s in w.stops
        ]
        return HallWalkthrough(
            service=w.service, window=view.poi(w.window), stops=stops, metres=w.metres, sequence=w.sequence
        )

    @strawberry.field(description="From a bus or metro stop (a transitStops id) to the hall's entrance")
    def directions(self, from_: Annotated[strawberry.ID, strawberry.argument(name="from")]) -> HallDirections:
        d = directions(self.view.plan, str(from_))
        return HallDirections(stop=transit_stop(d.stop), entrance=self.view.poi(d.entrance), legs=list(d.legs))


@strawberry.type(description="Where to go for a service: the hall, the window and the walk to it")
class HallWhere:
    hall: Hall
    service: str
    window: HallPoi
    route: HallRoute

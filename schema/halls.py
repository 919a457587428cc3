"""3D service halls over GraphQL: the halls, one hall, where to go for a service (the types are in
schema/halls_types.py)."""

from __future__ import annotations

import asyncio

import strawberry

from core.halls import BuiltHall, HallLibrary, Plan
from core.halls.library import default_library
from core.halls.visits import Where, where_for
from schema.context import Context
from schema.halls_types import Hall, HallRoute, HallWhere, check_service
from schema.pagination import check_page

__all__ = ["HallWhere", "HallsQuery", "library_of", "where_in_text"]  # schema/qa.py imports HallWhere from here

Info = strawberry.Info[Context, None]
MAX_HALLS_PAGE = 50


def library_of(info: Info) -> HallLibrary:
    """The app's hall library (api/halls.py puts one on app.state), else the process's default."""
    app = getattr(info.context.request, "app", None)
    found = getattr(getattr(app, "state", None), "halls", None)
    return found if isinstance(found, HallLibrary) else default_library()


WHERE_WORDS = ("在哪", "哪里", "哪儿", "去哪", "什么地方", "地点", "地址", "窗口", "怎么走", "怎么去")


async def where_in_text(info: Info, question: str, texts: list[str]) -> list[HallWhere]:
    """For a question asking where (在哪办, 去哪, 哪个窗口): the halls' windows for the services the question or
    the answer's texts name (longest service name first); nothing when the question does not ask where."""
    if not any(w in question for w in WHERE_WORDS):
        return []
    library = library_of(info)
    plans = await asyncio.to_thread(_plans, library)
    services = sorted({s for p in plans for s in p.layout.service_ids}, key=len, reverse=True)
    named = next((s for text in (question, *texts) for s in services if s in text), None)
    if named is None:
        return []
    return await _where(info, named)


def _plans(library: HallLibrary) -> list[Plan]:
    return [library.plan(i) for i in library.ids()]


def _where_states(library: HallLibrary, service: str) -> tuple[list[Where], list[tuple[Plan, BuiltHall]]]:
    """The windows for the service and the state of each hall they are in (blocking: run in a thread)."""
    answers = where_for(_plans(library), service)
    return answers, [library.state(i) for i in dict.fromkeys(a.hall_id for a in answers)]


async def _where(info: Info, service: str) -> list[HallWhere]:
    answers, states = await asyncio.to_thread(_where_states, library_of(info), service)
    halls = {plan.layout.id: Hall.of(plan, built, info) for plan, built in states}
    return [
        HallWhere(
            hall=halls[a.hall_id],
            service=a.service,
            window=halls[a.hall_id].view.poi(a.window),
            route=HallRoute.of(a.route),
        )
        for a in answers
    ]


@strawberry.type
class HallsQuery:
    @strawberry.field(description="The 3D service halls")
    async def halls(self, info: Info, page: int = 1, page_size: int = 20) -> list[Hall]:
        offset, limit = check_page(page, page_size, MAX_HALLS_PAGE)
        library = library_of(info)

        def states() -> list[tuple[Plan, BuiltHall]]:  # may build: off the event loop
            return [library.state(i) for i in library.ids()[offset : offset + limit]]

        return [Hall.of(plan, built, info) for plan, built in await asyncio.to_thread(states)]

    @strawberry.field(description="One hall; NOT_FOUND for an unknown id")
    async def hall(self, info: Info, id: strawberry.ID) -> Hall:
        plan, built = await asyncio.to_thread(library_of(info).state, str(id))  # may build: off the event loop
        return Hall.of(plan, built, info)

    @strawberry.field(
        description="Where do I go for a service (事项名称, or part of one): each hall's window and route"
    )
    async def where_for(self, info: Info, service: str) -> list[HallWhere]:
        return await _where(info, check_service(service))

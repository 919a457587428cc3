"""The reference portal and big screen (issue 17): server-rendered pages over the public GraphQL schema."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from api.pages.gql import Gateway

STATIC = Path(__file__).resolve().parent / "static"


def page_routes() -> list[BaseRoute]:
    from api.pages import account, hall, opendata, speech, units, views

    return [
        Route("/", views.home, methods=["GET"]),
        Route("/search", views.search, methods=["GET"]),
        Route("/documents/{id}", views.document, methods=["GET"]),
        Route("/letters/{id}", views.letter, methods=["GET"]),
        Route("/ask", views.ask, methods=["GET", "POST"]),
        Route("/screen/{site}", views.screen, methods=["GET"]),
        Route("/halls/{id}", hall.hall, methods=["GET"]),  # the viewer itself is /halls/{id}/ (api/halls.py)
        Route("/data", opendata.datasets, methods=["GET"]),
        Route("/data/{id}", opendata.dataset, methods=["GET"]),
        Route("/units", units.units, methods=["GET"]),
        Route("/units/{code}", units.unit, methods=["GET"]),
        Route("/signin", account.signin, methods=["GET"]),
        Route("/signin/callback", account.callback, methods=["GET"]),
        Route("/signin/backchannel", account.backchannel, methods=["POST"]),
        Route("/signout", account.signout, methods=["GET", "POST"]),
        Route("/me", account.me, methods=["GET"]),
        Route("/me/letters", account.submit_letter, methods=["POST"]),
        Route("/speech", speech.speech, methods=["GET"]),
        Mount("/static/portal", app=StaticFiles(directory=STATIC), name="portal-static"),
    ]


def mount_pages(app: Starlette, gateway: Gateway) -> None:
    """Add the pages to the app; they run operations through `gateway` (the schema /graphql serves)."""
    app.state.pages = gateway
    app.router.routes.extend(page_routes())

"""DCAT-AP over HTTP: /catalog.ttl|.jsonld|.rdf (paged with ?page=) and /dataset/{id}.ttl|.jsonld|.rdf."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.errors import NotFound
from core.opendata import dcat
from core.services import Services

MAX_PAGE = 100_000  # 1,000 datasets a page: a catalogue of 100 million; past it the offset would overflow


async def catalog(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in dcat.FORMATS:
        return PlainTextResponse("not found", status_code=404)
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        return PlainTextResponse("page must be a whole number", status_code=400)
    if not 1 <= page <= MAX_PAGE:
        return PlainTextResponse(f"page must be between 1 and {MAX_PAGE:,}", status_code=400)
    services: Services = request.app.state.services
    text = await dcat.catalog_text(services.pool, base=services.settings.issuer, fmt=fmt, page=page)
    return Response(text, media_type=dcat.MEDIA_TYPES[fmt])


async def dataset(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in dcat.FORMATS:
        return PlainTextResponse("not found", status_code=404)
    services: Services = request.app.state.services
    try:
        text = await dcat.dataset_text(
            services.pool, base=services.settings.issuer, id_or_name=request.path_params["id"], fmt=fmt
        )
    except NotFound as exc:
        return PlainTextResponse(exc.message, status_code=404)
    return Response(text, media_type=dcat.MEDIA_TYPES[fmt])


def dcat_routes() -> list[Route]:
    """The DCAT routes create_app mounts beside the CKAN API (docs/opendata.md)."""
    return [
        Route("/catalog.{fmt}", catalog, methods=["GET"]),
        Route("/dataset/{id}.{fmt}", dataset, methods=["GET"]),
    ]

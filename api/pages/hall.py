"""`/halls/{id}`: a 3D service hall as a page — its services, and for the chosen one the walkthrough as an
ordered list of stops with the materials checklist (the text alternative to the 3D view), beside the embedded
viewer (api/halls.py serves it at /halls/{id}/)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.pages import queries
from api.pages.gql import gateway
from api.pages.render import failure, page

SERVICE_MAX = 64


def _chosen(request: Request, services: list[dict[str, Any]]) -> str | None:
    asked = request.query_params.get("service", "").strip()[:SERVICE_MAX]
    ids = [s["id"] for s in services]
    if asked in ids:
        return asked
    return ids[0] if ids else None


async def hall(request: Request) -> Response:
    hall_id = request.path_params["id"]
    gw = gateway(request)
    answer = await gw.run(request, queries.HALL, {"id": hall_id})
    found = answer.data.get("hall")
    if found is None:
        return failure(
            request, answer.errors[0][0] if answer.errors else "没有这个办事大厅", answer.code() or "NOT_FOUND"
        )
    service = _chosen(request, found["services"])
    walk = None
    if service is not None:
        walked = await gw.run(request, queries.WALKTHROUGH, {"id": hall_id, "service": service})
        walk = (walked.data.get("hall") or {}).get("walkthrough")
    windows: dict[str, list[str]] = {s["id"]: [] for s in found["services"]}  # service -> the windows serving it
    for poi in found["pois"]:
        for s in poi["services"]:
            windows.setdefault(s["id"], []).append(poi["name"])
    return page(
        request,
        "hall.html",
        frames=True,
        title=f"{found['name']} - 三维办事大厅",
        hall=found,
        service=service,
        walk=walk,
        windows=windows,
    )

"""Hall files over HTTP: the GLB (ETag, Cache-Control, Range), example-case files and the viewer page."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.bus import HallChanged
from core.errors import NotFound
from core.halls import BuiltHall, HallLibrary
from core.halls.library import default_library

log = logging.getLogger(__name__)
VIEWER = Path(__file__).resolve().parent / "halls_viewer"
GLB_TYPE = "model/gltf-binary"
CACHE_CONTROL = "public, max-age=300, must-revalidate"  # revalidated by ETag once stale
STATIC_CACHE = "public, max-age=3600"
RANGE = re.compile(r"bytes=(\d*)-(\d*)")
MAX_POSITION = 2**63 - 1  # past any model's size: what a longer position means
CASE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".pdf": "application/pdf"}
STATIC_FILES = {"viewer.js": "text/javascript; charset=utf-8", "viewer.css": "text/css; charset=utf-8"}
# Only a page of this site may frame the viewer (the portal's /halls/{id} embeds it): no clickjacking elsewhere.
# X-Frame-Options says the same to browsers that predate frame-ancestors.
VIEWER_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
}


def _library(request: Request) -> HallLibrary:
    found = getattr(request.app.state, "halls", None)
    return found if isinstance(found, HallLibrary) else default_library()


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The one (start, end) range asked for, inclusive; None to send everything (no header, a malformed or a
    multi-range one, which RFC 9110 lets a server ignore); "unsatisfiable" when it lies past the end."""
    if header is None:
        return None
    m = RANGE.fullmatch(header.strip())
    if m is None or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if not first:  # bytes=-N: the last N bytes
        suffix = _position(last)
        return "unsatisfiable" if suffix == 0 or size == 0 else (max(0, size - suffix), size - 1)
    start = _position(first)
    if last and _position(last) < start:
        return None  # an invalid range-spec: ignored
    if start >= size:
        return "unsatisfiable"
    return (start, min(_position(last) if last else size - 1, size - 1))


def _position(digits: str) -> int:
    """A byte position as sent; past MAX_POSITION it is capped, since int() refuses over 4,300 digits (a 500)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= len(str(MAX_POSITION)) else MAX_POSITION


async def _announce(request: Request, built: BuiltHall) -> None:
    services = getattr(request.app.state, "services", None)
    if services is None:
        return
    event = HallChanged(hall_id=built.id, layout_digest=built.layout_digest, glb_sha256=built.sha256, size=built.size)
    try:
        await services.bus.publish(event)
    except Exception:  # the model is served all the same; the next rebuild announces again
        log.warning("HallChanged not published", extra={"hall": built.id}, exc_info=True)


def _not_found(exc: NotFound) -> Response:
    return PlainTextResponse(exc.message, status_code=404)


async def glb(request: Request) -> Response:
    """The hall's GLB; a changed layout is rebuilt first (in a thread: the event loop serves on meanwhile) and
    announced with HallChanged."""
    try:
        built, data = await asyncio.to_thread(_library(request).glb, request.path_params["hall"])
    except NotFound as exc:
        return _not_found(exc)
    if built.rebuilt:
        await _announce(request, built)
    etag = f'"{built.sha256}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Accept-Ranges": "bytes"}
    wanted = request.headers.get("if-none-match")
    if wanted is not None and (
        wanted.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in wanted.split(",")]
    ):
        return Response(status_code=304, headers=headers)
    if_range = request.headers.get("if-range")
    asked = byte_range(request.headers.get("range"), len(data)) if if_range in (None, etag) else None
    if asked == "unsatisfiable":
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"})
    if isinstance(asked, tuple):
        start, end = asked
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return Response(data[start : end + 1], status_code=206, media_type=GLB_TYPE, headers=headers)
    return Response(data, media_type=GLB_TYPE, headers=headers)


async def case_file(request: Request) -> Response:
    """An example case (实例) the layout lists: a filled sample form as an image or PDF."""
    try:
        path = await asyncio.to_thread(
            _library(request).case_file, request.path_params["hall"], request.path_params["name"]
        )
    except NotFound as exc:
        return _not_found(exc)
    media = CASE_TYPES.get(path.suffix.lower())
    if media is None:
        return PlainTextResponse("not a case file type", status_code=404)
    return FileResponse(path, media_type=media, headers={"Cache-Control": STATIC_CACHE})


async def viewer(request: Request) -> Response:
    """The viewer page of one hall (its data comes from /graphql, its model from the GLB route)."""
    hall_id = request.path_params["hall"]
    try:
        layout = await asyncio.to_thread(_library(request).layout, hall_id)
    except NotFound as exc:
        return _not_found(exc)
    page = (VIEWER / "viewer.html").read_text(encoding="utf-8")
    page = page.replace("{{title}}", escape(layout.name)).replace(
        "{{config}}", escape(json.dumps({"hall": layout.id, "graphql": "/graphql"}, ensure_ascii=False))
    )
    return Response(page, media_type="text/html; charset=utf-8", headers=VIEWER_HEADERS)


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC_FILES:
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(VIEWER / name, media_type=STATIC_FILES[name], headers={"Cache-Control": STATIC_CACHE})


def hall_routes() -> list[Route]:
    """The hall routes create_app mounts beside /graphql."""
    return [
        Route("/halls/static/{name}", static, methods=["GET"]),
        Route("/halls/{hall}/hall.glb", glb, methods=["GET"]),
        Route("/halls/{hall}/", viewer, methods=["GET"]),
        Route("/halls/{hall}/{name:path}", case_file, methods=["GET"]),
    ]

"""Disclosure over plain HTTP: GET /disclosure/vouchers/<sha256> serves an uploaded voucher (immutable: its name
is the hash of its content, so it may be cached for good); GET /disclosure/items/<id> is a published item's page
(the URL its search document carries)."""

from __future__ import annotations

from html import escape
from urllib.parse import quote
from uuid import UUID

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.disclosure import get_item
from core.disclosure.blobs import SHA256
from core.disclosure.vouchers import blob_store, voucher_ref
from core.errors import NotFound
from core.services import Services

IMMUTABLE = "public, max-age=31536000, immutable"


async def voucher(request: Request) -> Response:
    digest = str(request.path_params["sha256"]).lower()
    if not SHA256.fullmatch(digest):
        return PlainTextResponse("not a SHA-256", status_code=400)
    if request.headers.get("if-none-match") == f'"{digest}"':
        return Response(status_code=304, headers={"ETag": f'"{digest}"', "Cache-Control": IMMUTABLE})
    services: Services = request.app.state.services
    ref = await voucher_ref(services.pool, digest)
    if ref is None:
        return PlainTextResponse("no such voucher", status_code=404)
    try:
        data = await blob_store(services.settings).get(digest)
    except NotFound:
        return PlainTextResponse("no such voucher", status_code=404)
    headers = {
        "ETag": f'"{digest}"',
        "Cache-Control": IMMUTABLE,
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(ref.name)}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=ref.media_type, headers=headers)


async def item_page(request: Request) -> Response:
    try:
        item_id = UUID(str(request.path_params["id"]))
        services: Services = request.app.state.services
        item = await get_item(pool=services.pool, item_id=item_id)
    except (ValueError, NotFound):
        return PlainTextResponse("no such item", status_code=404)
    if not item.counted:
        return PlainTextResponse("no such item", status_code=404)
    vouchers = "".join(
        f'<li><a href="/disclosure/vouchers/{a.sha256}">{escape(a.name)}</a></li>' for a in item.attachments
    )
    body = "".join(f"<p>{escape(line)}</p>" for line in item.body.splitlines() if line.strip())
    html = (
        f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{escape(item.title)}</title>'
        f"<h1>{escape(item.title)}</h1><p>{escape(item.board)} / {escape(item.category)} · {escape(item.period)}"
        f" · 单位 {escape(item.unit_code)} · 第 {item.revision} 版</p>{body}<ul>{vouchers}</ul></html>"
    )
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=60"})


def disclosure_routes() -> list[Route]:
    return [
        Route("/disclosure/vouchers/{sha256}", voucher, methods=["GET"]),
        Route("/disclosure/items/{id}", item_page, methods=["GET"]),
    ]

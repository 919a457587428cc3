"""`/units` and `/units/{code}` (基层公开): the hierarchy of units, and a unit's page — breadcrumb, units below,
the six boards with their latest items, fund projects, the roll-up numbers and every item, paged."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.pages import queries
from api.pages.gql import gateway
from api.pages.opendata import page_number
from api.pages.render import failure, page

MAX_PAGE = 5_000  # 20 a page: schema.pagination refuses offsets past 100 000
LATEST_PER_BOARD = 3


async def units(request: Request) -> Response:
    number = page_number(request, MAX_PAGE)
    if number is None:
        return failure(request, f"page 必须是 1 到 {MAX_PAGE} 之间的整数", "BAD_INPUT")
    answer = await gateway(request).run(request, queries.UNITS, {"page": number})
    if answer.errors:
        return failure(request, answer.errors[0][0], answer.code())
    return page(request, "units.html", title="基层公开", found=answer.data["units"])


def _breadcrumb(unit: dict[str, Any]) -> list[dict[str, Any]]:
    """The unit's ancestors, the highest first."""
    chain, up = [], unit.get("parent")
    while up:
        chain.append(up)
        up = up.get("parent")
    return chain[::-1]


def _latest(unit: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The newest items of each board (the newest items of the unit and below, grouped)."""
    by_board: dict[str, list[dict[str, Any]]] = {}
    for item in unit["latest"]["items"]:
        shown = by_board.setdefault(item["board"], [])
        if len(shown) < LATEST_PER_BOARD:
            shown.append(item)
    return by_board


async def unit(request: Request) -> Response:
    code = request.path_params["code"]
    number = page_number(request, MAX_PAGE)
    if number is None:
        return failure(request, f"page 必须是 1 到 {MAX_PAGE} 之间的整数", "BAD_INPUT")
    if not (code.isascii() and code.isdigit() and len(code) == 12):
        return failure(request, "没有这个单位：单位代码是 12 位数字的统计用区划代码", "NOT_FOUND")
    answer = await gateway(request).run(request, queries.UNIT, {"code": code, "page": number})
    found = answer.data.get("unit")
    if found is None:
        message = answer.errors[0][0] if answer.errors and answer.code() != "NOT_FOUND" else "没有这个单位"
        return failure(request, message, answer.code() or "NOT_FOUND")
    items = found["items"]
    return page(
        request,
        "unit.html",
        title=f"{found['name']} - 基层公开",
        u=found,
        breadcrumb=_breadcrumb(found),
        latest=_latest(found),
        prev_page=number - 1 if number > 1 else None,
        next_page=number + 1 if number * items["pageSize"] < items["total"] else None,
    )

"""`/data` and `/data/{id}` (开放数据): the catalogue with search, department and domain facets and paging, and one
dataset's metadata, resources with their download links, a preview of a tabular resource and quality findings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from api.pages import queries
from api.pages.gql import gateway
from api.pages.render import failure, page

QUERY_MAX = 200
MAX_PAGE = 10_000  # the catalogue pages no deeper (schema.pagination refuses offsets past 100 000)
FACETS = {"department": "departments", "domain": "domains"}  # query parameter -> OpenDatasetFilters field
QUALITY_KINDS = {
    "missing": "缺失值",
    "type": "类型错误",
    "duplicate": "重复行",
    "drift": "结构变化",
    "stale": "更新不及时",
}


def page_number(request: Request, most: int) -> int | None:
    """The `page` parameter (1 when absent); None when it is not a whole number from 1 to `most`."""
    raw = request.query_params.get("page", "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        return None
    return int(raw)


def _chosen(request: Request) -> dict[str, list[str]]:
    return {p: request.query_params.getlist(p)[:10] for p in FACETS if request.query_params.getlist(p)}


def _link(q: str, chosen: dict[str, list[str]], **changes: Any) -> str:
    """The catalogue URL with the search and facets kept and `changes` applied (a facet value toggled, a page)."""
    params = [("q", q)] if q else []
    for name, values in chosen.items():
        params += [(name, v) for v in values if (name, v) != changes.get("drop")]
    if "add" in changes:
        params.append(changes["add"])
    if changes.get("page", 1) > 1:
        params.append(("page", str(changes["page"])))
    return "/data" + (f"?{urlencode(params)}" if params else "")


async def datasets(request: Request) -> Response:
    number = page_number(request, MAX_PAGE)
    if number is None:
        return failure(request, f"page 必须是 1 到 {MAX_PAGE} 之间的整数", "BAD_INPUT")
    q = request.query_params.get("q", "").strip()[:QUERY_MAX]
    chosen = _chosen(request)
    filters = {FACETS[p]: vs for p, vs in chosen.items()} or None
    answer = await gateway(request).run(request, queries.DATASETS, {"q": q, "filters": filters, "page": number})
    if answer.errors:
        return failure(request, answer.errors[0][0], answer.code())
    found = answer.data["datasets"]
    pages = max(1, -(-found["total"] // 10))
    return page(
        request,
        "data.html",
        title="开放数据" + (f" - {q}" if q else ""),
        q=q,
        found=found,
        chosen=chosen,
        number=number,
        prev_link=_link(q, chosen, page=number - 1) if number > 1 else None,
        next_link=_link(q, chosen, page=number + 1) if number < pages else None,
        facet_link=lambda name, value: _link(
            q, chosen, **({"drop": (name, value)} if value in chosen.get(name, []) else {"add": (name, value)})
        ),
    )


def _downloads(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, URL) of a resource: its file (the CKAN download route for uploads), and the datastore's dumps."""
    links = [(f"下载 {resource['format'] or '文件'}", resource["url"])] if resource["url"] else []
    if resource["datastoreActive"]:
        dump = f"/datastore/dump/{resource['id']}"
        # Excel reads a UTF-8 CSV without a byte-order mark in the local code page: the Chinese comes out garbled
        links += [("导出 CSV", dump), ("导出 CSV（Excel）", f"{dump}?bom=true"), ("导出 JSON", f"{dump}?format=json")]
    return links


async def dataset(request: Request) -> Response:
    ref = request.path_params["id"][:200]
    answer = await gateway(request).run(request, queries.DATASET, {"id": ref})
    found = answer.data.get("dataset")
    if found is None:
        message = answer.errors[0][0] if answer.errors and answer.code() != "NOT_FOUND" else "没有找到这个数据集"
        return failure(request, message, answer.code() or "NOT_FOUND")
    return page(
        request,
        "dataset.html",
        title=f"{found['title']} - 开放数据",
        d=found,
        downloads={r["id"]: _downloads(r) for r in found["resources"]},
        quality_kinds=QUALITY_KINDS,
    )

"""The CKAN Action API: actions by name over the catalogue and datastore, errors in CKAN's envelope."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from core.bus import Bus
from core.clock import local_date
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated, YiwangError
from core.opendata import params as p
from core.opendata import store, usage
from core.opendata.models import Dataset
from core.opendata.search import package_search, read_query
from core.opendata.search_query import DEFAULT_ROWS, MAX_ROWS
from core.settings import Settings

log = logging.getLogger(__name__)
CKAN_VERSION = "2.10.4"  # the API level we answer as (status_show); see docs/opendata.md for what is covered
ORG_LIST_MAX = 1000
ORG_LIST_ALL_FIELDS_MAX = 25


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who calls: anonymous, a developer key, or a signed-in admin."""

    name: str = ""
    is_admin: bool = False
    key_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActionContext:
    """What an action needs: the pool, the bus, settings, the caller, the API's base URL and now."""

    pool: asyncpg.Pool
    settings: Settings
    caller: Caller
    base_url: str
    now: Callable[[], datetime]
    bus: Bus | None = None
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # multipart uploads: field -> (name, bytes)


Action = Callable[[ActionContext, dict[str, Any]], Awaitable[Any]]


def require_admin(ctx: ActionContext, action: str) -> None:
    if not ctx.caller.is_admin:
        who = ctx.caller.name or "an anonymous caller"
        raise Forbidden(f"User {who} not authorized to {action}")


async def status_show(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "site_title": "政府数据开放平台",
        "site_description": "yiwang open data (CKAN Action API compatible)",
        "site_url": ctx.base_url,
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore", "dcat", "spatial_query"],
    }


async def package_list(ctx: ActionContext, params: dict[str, Any]) -> list[str]:
    limit = p.integer(params, "limit", 0)
    return await store.dataset_names(ctx.pool, limit=limit or None, offset=p.integer(params, "offset", 0))


async def package_search_action(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    return await package_search(ctx.pool, read_query(params, is_admin=ctx.caller.is_admin))


async def current_package_list_with_resources(ctx: ActionContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    """CKAN's list of datasets with their resources, most recently modified first (what harvesters page
    through): `limit` (default 10, cut to 1000) and `offset`; private datasets for admins only."""
    asked = {
        "sort": "metadata_modified desc",
        "rows": p.integer(params, "limit", DEFAULT_ROWS, maximum=MAX_ROWS),
        "start": p.integer(params, "offset", 0),
        "include_private": True,
    }
    found = await package_search(ctx.pool, read_query(asked, is_admin=ctx.caller.is_admin))
    return list(found["results"])


async def visible_dataset(ctx: ActionContext, id_or_name: str) -> Dataset:
    """A dataset the caller may see, with its resources: active and public, or any to an admin; NotFound
    otherwise."""
    found = await store.dataset(ctx.pool, id_or_name)
    if found is None or (found.state != "active" and not ctx.caller.is_admin):
        raise NotFound("Dataset not found")
    if found.private and not ctx.caller.is_admin:
        raise Forbidden(f"User {ctx.caller.name or 'anonymous'} not authorized to read package {found.name}")
    return found


async def package_show(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await visible_dataset(ctx, p.text(params, "id", required=True))
    today = local_date(ctx.now())
    await usage.count(ctx.pool, found.id, "view", day=today)
    shown = found.as_ckan()
    shown["tracking_summary"] = await usage.totals(ctx.pool, found.id, today=today)
    return shown


async def resource_show(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    row = await store.resource_row(ctx.pool, p.text(params, "id", required=True))
    if row is None:
        raise NotFound("Resource was not found.")
    await visible_dataset(ctx, row["dataset_id"])
    return store.resource_of(row).as_ckan()


def _org_order(raw: str) -> str:
    words = (raw or "title asc").split()
    fields = {"name": "o.name", "title": "o.title", "package_count": "package_count", "packages": "package_count"}
    if not words or words[0] not in fields or len(words) > 2:
        raise p.field_error("sort", "Invalid sort: name, title or package_count, then asc or desc")
    default = "desc" if words[0] in ("package_count", "packages") else "asc"
    direction = words[1].lower() if len(words) == 2 else default
    if direction not in ("asc", "desc"):
        raise p.field_error("sort", "Invalid sort direction")
    return f"{fields[words[0]]} {direction}, o.name"


async def _org_list(ctx: ActionContext, params: dict[str, Any], *, is_org: bool) -> list[Any]:
    all_fields = p.boolean(params, "all_fields")
    cap = ORG_LIST_ALL_FIELDS_MAX if all_fields else ORG_LIST_MAX
    limit = min(p.integer(params, "limit", cap) or cap, cap)
    orgs = await store.organizations(
        ctx.pool,
        is_org=is_org,
        q=p.text(params, "q").strip(),
        order=_org_order(p.text(params, "sort")),
        limit=limit,
        offset=p.integer(params, "offset", 0),
    )
    return [o.as_ckan(is_org=is_org) for o in orgs] if all_fields else [o.name for o in orgs]


async def organization_list(ctx: ActionContext, params: dict[str, Any]) -> list[Any]:
    return await _org_list(ctx, params, is_org=True)


async def group_list(ctx: ActionContext, params: dict[str, Any]) -> list[Any]:
    return await _org_list(ctx, params, is_org=False)


async def _org_show(ctx: ActionContext, params: dict[str, Any], *, is_org: bool) -> dict[str, Any]:
    found = await store.organization(ctx.pool, is_org=is_org, id_or_name=p.text(params, "id", required=True))
    if found is None:
        raise NotFound("Organization was not found." if is_org else "Group was not found.")
    shown = found.as_ckan(is_org=is_org)
    if p.boolean(params, "include_datasets"):
        key = "organization" if is_org else "groups"
        query = read_query({"fq": f'{key}:"{found.name}"', "rows": 10}, is_admin=ctx.caller.is_admin)
        shown["packages"] = (await package_search(ctx.pool, query))["results"]
    shown.update({"users": [], "extras": [], "tags": [], "groups": []})
    return shown


async def organization_show(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _org_show(ctx, params, is_org=True)


async def group_show(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _org_show(ctx, params, is_org=False)


async def tag_list(ctx: ActionContext, params: dict[str, Any]) -> list[Any]:
    names = await store.tag_names(ctx.pool, query=(p.text(params, "query") or p.text(params, "q")).strip())
    if p.boolean(params, "all_fields"):
        return [{"name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return names


READ_ACTIONS: dict[str, Action] = {
    "status_show": status_show,
    "package_list": package_list,
    "package_search": package_search_action,
    "package_show": package_show,
    "current_package_list_with_resources": current_package_list_with_resources,
    "resource_show": resource_show,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
}


def error_envelope(exc: YiwangError) -> tuple[int, dict[str, Any]]:
    """The HTTP status and `error` object CKAN answers for an error of each family."""
    if isinstance(exc, p.ValidationError):
        return 409, {"__type": "Validation Error", **exc.fields}
    if isinstance(exc, p.SearchQueryError):
        return 400, {"__type": "Search Query Error", "message": f"Search Query is invalid: {exc.message}"}
    if isinstance(exc, Invalid | Conflict):
        return 409, {"__type": "Validation Error", "message": exc.message}
    if isinstance(exc, NotFound):
        return 404, {"__type": "Not Found Error", "message": f"Not found: {exc.message}"}
    if isinstance(exc, Forbidden | Unauthenticated):
        return 403, {"__type": "Authorization Error", "message": f"Access denied: {exc.message}"}
    return 500, {"__type": "Internal Server Error", "message": "Internal Server Error"}

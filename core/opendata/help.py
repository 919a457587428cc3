"""`help_show`: what each action of the CKAN API takes, as CKAN answers it (the `help` link of every response)."""

from __future__ import annotations

from typing import Any

from core.errors import NotFound
from core.opendata import params as p
from core.opendata.ckan import ActionContext

DOCS = "docs/opendata.md"
HELP: dict[str, str] = {
    "status_show": "The catalogue's title, description, CKAN API level and extensions.",
    "package_list": "The names of the public datasets. Parameters: limit, offset.",
    "package_search": (
        "Search the datasets. Parameters: q (free text, every word must match, -word or NOT word excludes, OR is "
        "refused; field:value clauses filter), fq and fq_list "
        "([+|-]field:value over organization, groups, tags, res_format, license_id, name, id, frequency, "
        "harvest_source, and the text fields title and notes), rows (default 10, at most 1000), start, sort "
        "(score, metadata_modified, metadata_created, name, title, title_string; asc or desc), facet, facet.field "
        "(a JSON list), facet.limit "
        "(default 50, -1 for all), facet.mincount, include_private (admins), ext_bbox=minx,miny,maxx,maxy. "
        "Returns count, results, facets, search_facets and sort."
    ),
    "package_show": "One dataset with its resources. Parameters: id (its id or name).",
    "current_package_list_with_resources": (
        "The datasets with their resources, most recently modified first. Parameters: limit (default 10, at most "
        "1000), offset."
    ),
    "resource_show": "One resource. Parameters: id.",
    "organization_list": (
        "The departments publishing data. Parameters: all_fields, q, sort, limit (at most 1000, or 25 with "
        "all_fields), offset."
    ),
    "organization_show": "One department. Parameters: id, include_datasets.",
    "group_list": (
        "The data domains. Parameters: all_fields, q, sort, limit (at most 1000, or 25 with all_fields), offset."
    ),
    "group_show": "One data domain. Parameters: id, include_datasets.",
    "tag_list": "The tags in use. Parameters: query, all_fields.",
    "datastore_search": (
        "Rows of a loaded table. Parameters: resource_id, filters ({column: value or [values]}), q (text, or "
        '{column: text}), fields, sort ("column desc, _id"), limit (default 100, at most 32000), offset, '
        "distinct, include_total."
    ),
    "datastore_search_sql": (
        "One read-only SELECT over loaded tables (by resource id), checked before it runs: no writes, no "
        "functions outside aggregates, string, math, date and window functions. Parameters: sql."
    ),
    "datastore_info": "The columns and types of a loaded table. Parameters: id (the resource id).",
    "package_create": "Create a dataset (an admin key). Parameters: name, title, owner_org and the dataset's fields.",
    "package_patch": "Change some fields of a dataset (an admin key). Parameters: id and the fields to change.",
    "package_delete": "Delete a dataset (an admin key). Parameters: id.",
    "resource_create": (
        "Add a resource to a dataset (an admin key): a url, or a multipart upload (CSV, TSV, XLSX, GeoJSON are "
        "loaded into the datastore). Parameters: package_id, name, format, url or upload."
    ),
    "resource_patch": "Change a resource, or replace its upload and reload its table (an admin key). Parameters: id.",
    "resource_update": "As resource_patch. Parameters: id.",
    "help_show": "What an action takes. Parameters: name (an action's name).",
}


async def help_show(ctx: ActionContext, params: dict[str, Any]) -> str:
    name = p.text(params, "name", required=True)
    found = HELP.get(name)
    if found is None:
        raise NotFound(f"Action function not found: {name} (the actions: {', '.join(sorted(HELP))})")
    return f"{found} See {DOCS}."

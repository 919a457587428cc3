"""Every CKAN action we answer, by name: the catalogue reads, the datastore, and the writes of authorised callers."""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from core.clock import local_date
from core.errors import Invalid, NotFound
from core.opendata import datastore, dsearch, resources, service, sqlsearch, usage
from core.opendata import params as p
from core.opendata.checks import check_resource
from core.opendata.ckan import READ_ACTIONS, Action, ActionContext, require_admin, visible_dataset
from core.opendata.help import help_show
from core.opendata.tabular import FORMATS, read_table
from core.opendata.types import check_schema

SAFE_NAME = re.compile(r"[^\w.\-]+")
RESOURCE_KEYS = ("name", "description", "format", "url", "mimetype", "size")


async def _readable(ctx: ActionContext, resource_id: str) -> datastore.Info:
    found = await datastore.info(ctx.pool, resource_id)
    if not found.public:  # one query for the common case; the dataset's own checks say why not
        await visible_dataset(ctx, found.dataset_id)
    return found


async def datastore_search(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    resource_id = p.text(params, "resource_id", required=True) or p.text(params, "id")
    remembered = dsearch.known(ctx.pool, resource_id)
    if remembered is not None and (result := await _search(ctx, remembered, params, check=True)) is not None:
        return result
    found = await _readable(ctx, resource_id)
    dsearch.remember(ctx.pool, found)
    result = await _search(ctx, found, params, check=False)
    assert result is not None
    return result


async def _search(
    ctx: ActionContext, found: datastore.Info, params: dict[str, Any], *, check: bool
) -> dict[str, Any] | None:
    """The search over `found`'s table, the API call counted with it; None when `check` finds the table reloaded or
    no longer public since `found` was read. Our own SELECTs (no caller SQL): no read-only transaction needed; each
    statement is cancelled past the timeout."""
    try:
        req = dsearch.read_request(found, params)
    except Invalid:
        if check:  # the parameters may fit the table as reloaded since `found` was read: asked again afresh
            return None
        raise
    counting = p.boolean(params, "include_total", True)
    day, timeout = local_date(ctx.now()), ctx.settings.datastore_sql_timeout_ms / 1000
    if dsearch.one_pass_fits(ctx.pool, found, req):  # filtered: the page and the total from one scan of few matches
        sql, args = dsearch.one_pass(found, req, day=day, check=check)
        outcome: Any = await _run(ctx.pool.fetchrow(sql, *args, timeout=timeout))
        if check and _changed(outcome, found):
            dsearch.forget(ctx.pool, found)
            return None
        _raise(outcome, timeout)
        dsearch.note_matches(ctx.pool, found, req, outcome["total"])
        if outcome["total"] <= dsearch.ONE_PASS_ROWS:
            return _result(found, req, outcome["page"], outcome["total"] if counting else None)
    page_sql, page_args = dsearch.counted_page(found, req.page, req.args, day=day, check=check)
    stamp_sql, stamp_args = dsearch.stamped_total(found, req.total if counting else None, req.args)
    rows, stamped = await asyncio.gather(
        _run(ctx.pool.fetch(page_sql, *page_args, timeout=timeout)),
        _run(ctx.pool.fetchrow(stamp_sql, *stamp_args, timeout=timeout)),
    )
    if check and _changed(stamped, found):
        dsearch.forget(ctx.pool, found)
        return None
    _raise(stamped, timeout)
    _raise(rows, timeout)
    if req.matches is not None and stamped["total"] is not None:
        dsearch.note_matches(ctx.pool, found, req, stamped["total"])
    return _result(found, req, rows, stamped["total"])


async def _run(statement: Awaitable[Any]) -> Any:
    """The statement's answer, or the exception it raised, for the caller to judge (_changed, _raise)."""
    try:
        return await statement
    except Exception as exc:
        return exc


def _changed(outcome: Any, found: datastore.Info) -> bool:
    """A stamp not `found`'s, or an error other than a timeout (a column dropped by a reload?) on its table."""
    if isinstance(outcome, BaseException):
        return not isinstance(outcome, TimeoutError)
    return bool(outcome["stamp"] != found.stamp)


def _raise(outcome: Any, timeout: float) -> None:
    if isinstance(outcome, TimeoutError):
        raise Invalid(f"the search took longer than {timeout:g} s: narrow it with filters") from None
    if isinstance(outcome, BaseException):
        raise outcome


def _result(found: datastore.Info, req: dsearch.Request, rows: list[Any], total: int | None) -> dict[str, Any]:
    echo = req.echo
    base = f"/api/3/action/datastore_search?resource_id={found.resource_id}"
    result = {
        "resource_id": found.resource_id,
        "fields": dsearch.fields_of(found, echo["fields"]),
        "records": dsearch.records(found, echo["fields"], rows),
        "records_format": "objects",
        "include_total": total is not None,
        "limit": echo["limit"],
        "offset": echo["offset"],
        "filters": echo["filters"],
        "_links": {"start": base, "next": f"{base}&offset={echo['offset'] + echo['limit']}"},
    }
    if echo["q"]:
        result["q"] = echo["q"]
    if echo["sort"]:
        result["sort"] = echo["sort"]
    if total is not None:
        result.update(total=int(total), total_was_estimated=False)
    return result


async def datastore_search_sql(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    sql, tables = sqlsearch.check(p.text(params, "sql", required=True))
    known = await datastore.known_tables(ctx.pool, tables)
    for name in tables:
        if name not in known:
            raise Invalid(f"sql: {name!r} is not a datastore resource table")
        await visible_dataset(ctx, known[name])
    for dataset_id in set(known.values()):
        await usage.count(ctx.pool, dataset_id, "api", day=local_date(ctx.now()))
    timeout = int(ctx.settings.datastore_sql_timeout_ms)
    wrapped = f"select * from ({sql}) as q limit {sqlsearch.MAX_ROWS + 1}"
    try:
        async with ctx.pool.acquire() as conn, conn.transaction(readonly=True):
            await conn.execute(f"set local statement_timeout = {timeout}")
            await conn.execute("set local search_path = datastore")
            rows = await conn.fetch(wrapped)
    except Exception as exc:  # the query's own error (a timeout, a type error): the caller's to fix
        if not hasattr(exc, "sqlstate"):
            raise
        raise Invalid(f"sql: {type(exc).__name__}: {str(exc)[:300]}") from None
    records = [{k: dsearch.jsonable(v) for k, v in r.items()} for r in rows[: sqlsearch.MAX_ROWS]]
    fields = [{"id": k, "type": "text"} for k in (rows[0].keys() if rows else [])]
    result: dict[str, Any] = {"sql": sql, "records": records, "fields": fields}
    if len(rows) > sqlsearch.MAX_ROWS:
        result["records_truncated"] = True
    return result


async def datastore_info(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await _readable(ctx, p.text(params, "id", required=True))
    return {
        "meta": {"id": found.resource_id, "count": found.rows, "table_type": "BASE TABLE"},
        "fields": dsearch.fields_of(found, found.names),
        "schema": found.schema,
    }


async def package_create(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    require_admin(ctx, "create package")
    made = await service.create_dataset(pool=ctx.pool, bus=ctx.bus, settings=ctx.settings, data=params)
    return made.as_ckan()


async def package_patch(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    require_admin(ctx, "edit package")
    return (await service.patch_dataset(pool=ctx.pool, bus=ctx.bus, settings=ctx.settings, data=params)).as_ckan()


async def package_delete(ctx: ActionContext, params: dict[str, Any]) -> None:
    require_admin(ctx, "delete package")
    await service.delete_dataset(
        pool=ctx.pool, bus=ctx.bus, settings=ctx.settings, id_or_name=p.text(params, "id", required=True)
    )
    return None


def uploads_dir(ctx: ActionContext) -> Path:
    return resources.uploads_dir(ctx.settings)


def _tabular(data: bytes, fmt: str, params: dict[str, Any]) -> resources.Tabular | None:
    """The upload read as a table when its format is tabular; a broken table refuses the whole call."""
    if fmt not in FORMATS:
        return None
    table = read_table(data, fmt)
    override = p.mapping(params, "schema") or None
    schema = check_schema(override, table.header) if override else None
    return resources.Tabular(table=table, schema=schema)


async def _upload(
    ctx: ActionContext, params: dict[str, Any], values: dict[str, Any], rid: str
) -> resources.Tabular | None:
    """Keep the uploaded file of `rid` (if any) and fill `values` from it; its table when tabular."""
    upload = ctx.files.get("upload")
    if upload is None:
        return None
    filename, data = upload
    if len(data) > ctx.settings.datastore_max_upload_bytes:
        raise p.field_error("upload", f"The file is larger than {ctx.settings.datastore_max_upload_bytes} bytes")
    name = SAFE_NAME.sub("_", Path(filename or "upload").name)[:200] or "upload"
    fmt = (values.get("format") or Path(name).suffix.lstrip(".")).upper()
    tabular = _tabular(data, fmt, params)  # a broken table refuses the call before anything is written
    package = str(params.get("package_id") or "-")
    values.update(resources.keep_file(ctx.settings, dataset=package, resource_id=rid, name=name, data=data))
    values.update(format=fmt, last_modified=ctx.now(), name=values.get("name") or name)
    return tabular


async def resource_create(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    require_admin(ctx, "create resource")
    package_id = p.text(params, "package_id", required=True)
    values = check_resource({k: v for k, v in params.items() if k in RESOURCE_KEYS}, where="url")
    if "upload" not in ctx.files and not values.get("url"):
        raise p.field_error("url", "Missing value: give a url or an upload")
    rid = str(uuid.uuid4())
    try:
        tabular = await _upload(ctx, params, values, rid)
        values["id"] = rid
        made = await resources.add_resource(
            pool=ctx.pool, bus=ctx.bus, settings=ctx.settings, dataset_ref=package_id, values=values, tabular=tabular
        )
    except BaseException:
        shutil.rmtree(uploads_dir(ctx) / rid, ignore_errors=True)  # nothing kept of a resource that was not made
        raise
    return await READ_ACTIONS["resource_show"](ctx, {"id": made})


async def resource_patch(ctx: ActionContext, params: dict[str, Any]) -> dict[str, Any]:
    """resource_patch / resource_update: new fields, or a new upload whose table replaces the loaded one."""
    require_admin(ctx, "update resource")
    rid = p.text(params, "id", required=True)
    shown = await READ_ACTIONS["resource_show"](ctx, {"id": rid})
    values = check_resource({k: v for k, v in params.items() if k in RESOURCE_KEYS}, where="url")
    values = {k: v for k, v in values.items() if k in params}
    tabular = await _upload(ctx, {**params, "package_id": shown["package_id"]}, values, shown["id"])
    if not values:
        raise p.field_error("id", "Nothing to change: give fields or an upload")
    await resources.replace_resource(
        pool=ctx.pool, bus=ctx.bus, settings=ctx.settings, resource_id=shown["id"], values=values, tabular=tabular
    )
    return await READ_ACTIONS["resource_show"](ctx, {"id": shown["id"]})


async def counted_download(ctx: ActionContext, dataset_id: str) -> None:
    """A download or a dump of the dataset, for its usage statistics."""
    await usage.count(ctx.pool, dataset_id, "download", day=local_date(ctx.now()))


async def upload_path(ctx: ActionContext, resource_id: str) -> Path:
    """The kept file of an uploaded resource the caller may read (counted as a download); NotFound otherwise."""
    row = await READ_ACTIONS["resource_show"](ctx, {"id": resource_id})
    if row.get("url_type") != "upload":
        raise NotFound("Resource has no uploaded file")
    folder = uploads_dir(ctx) / row["id"]
    files = sorted(folder.glob("*")) if folder.is_dir() else []
    if not files:
        raise NotFound("Resource file is missing")
    await counted_download(ctx, row["package_id"])
    return files[0]


ACTIONS: dict[str, Action] = {
    **READ_ACTIONS,
    "datastore_search": datastore_search,
    "datastore_search_sql": datastore_search_sql,
    "datastore_info": datastore_info,
    "package_create": package_create,
    "package_patch": package_patch,
    "package_delete": package_delete,
    "resource_create": resource_create,
    "resource_patch": resource_patch,
    "resource_update": resource_patch,
    "help_show": help_show,
}

"""The CKAN Action API over HTTP (/api/3/action/{action} and /api/action/{action}), datastore dumps and downloads.

Thin: it reads the request (GET query, POST JSON, multipart uploads) and the Authorization header, calls the
action of core.opendata.actions and writes CKAN's envelope (`help`, `success`, `result` or `error`)."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from core.errors import YiwangError
from core.opendata import datastore, store
from core.opendata import params as p
from core.opendata.actions import ACTIONS, counted_download, upload_path
from core.opendata.ckan import ActionContext, error_envelope
from core.opendata.dsearch import jsonable
from core.opendata.keys import RateLimited, caller_of
from core.services import Services
from core.textzh.charsets import NUL_REFUSAL, holds_nul

log = logging.getLogger(__name__)
FORM_SLACK = 1024 * 1024  # the other fields of a multipart upload, beside the file
DUMP_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json"}


class CkanApi:
    """The routes of the CKAN Action API, datastore dumps and downloads."""

    def routes(self) -> list[Route]:
        return [
            Route("/api/3/action/{action}", self.action, methods=["GET", "POST"]),
            Route("/api/action/{action}", self.action, methods=["GET", "POST"]),
            Route("/datastore/dump/{resource_id}", self.dump, methods=["GET"]),
            Route("/dataset/{dataset}/resource/{resource_id}/download/{name}", self.download, methods=["GET"]),
        ]

    async def context(self, request: Request, files: dict[str, tuple[str, bytes]] | None = None) -> ActionContext:
        services: Services = request.app.state.services
        caller = await caller_of(
            pool=services.pool,
            settings=services.settings,
            authorization=request.headers.get("authorization") or request.headers.get("x-ckan-api-key"),
            now=services.clock(),
        )
        return ActionContext(
            pool=services.pool,
            settings=services.settings,
            caller=caller,
            base_url=services.settings.issuer,
            now=services.clock,
            bus=services.bus,
            files=files or {},
        )

    async def action(self, request: Request) -> Response:
        name = request.path_params["action"]
        handler = ACTIONS.get(name)
        if handler is None:
            return JSONResponse(f"Bad request: Action name not known: {name}", status_code=400)
        limit = request.app.state.services.settings.datastore_max_upload_bytes + FORM_SLACK
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:  # refused before a byte of it is read
            error = {"__type": "Validation Error", "upload": [f"The request is larger than {limit} bytes"]}
            return JSONResponse({"success": False, "error": error}, status_code=409)
        try:
            params, files = await _request_data(request)
        except ValueError as exc:
            return JSONResponse(f"Bad request: JSON Error: {exc}", status_code=400)
        if holds_nul(params):
            error = {"__type": "Validation Error", "message": NUL_REFUSAL}
            return JSONResponse({"success": False, "error": error}, status_code=409)
        envelope: dict[str, Any] = {"help": f"{_base(request)}/api/3/action/help_show?name={name}"}
        try:
            ctx = await self.context(request, files)
            result = await handler(ctx, params)
        except YiwangError as exc:
            status, error = error_envelope(exc)
            headers = {}
            if isinstance(exc, RateLimited):
                status, headers = 429, {"Retry-After": str(max(1, round(exc.retry_after)))}
            return JSONResponse({**envelope, "success": False, "error": error}, status_code=status, headers=headers)
        except Exception:
            log.exception("ckan action failed", extra={"action": name})
            _, error = error_envelope(YiwangError("internal"))
            return JSONResponse({**envelope, "success": False, "error": error}, status_code=500)
        return JSONResponse({**envelope, "success": True, "result": result})

    async def dump(self, request: Request) -> Response:
        """The table as CSV (default), TSV or JSON (?format=), streamed in batches; CKAN's `bom` (a byte-order mark,
        so that Excel reads the UTF-8 of a Chinese table), `limit` and `offset`."""
        params = dict(request.query_params)
        fmt = params.get("format", "csv").lower()
        if fmt not in DUMP_TYPES:
            return JSONResponse("Bad request: format must be csv, tsv or json", status_code=400)
        try:
            bom = p.boolean(params, "bom")
            offset, limit = p.integer(params, "offset", 0), p.integer(params, "limit", -1)
            ctx = await self.context(request)
            found = await datastore.info(ctx.pool, request.path_params["resource_id"])
            await ACTIONS["resource_show"](ctx, {"id": found.resource_id})
        except YiwangError as exc:
            status, error = error_envelope(exc)
            return JSONResponse({"success": False, "error": error}, status_code=status)
        await counted_download(ctx, found.dataset_id)
        batches = datastore.dump(ctx.pool, found, offset=offset, limit=None if limit < 0 else limit)
        names = ["_id", *found.names]
        if fmt == "json":
            return StreamingResponse(_json_chunks(batches, names), media_type="application/json")
        headers = {"Content-Disposition": f'attachment; filename="{found.resource_id}.{fmt}"'}
        chunks = _delimited_chunks(batches, names, delimiter="\t" if fmt == "tsv" else ",", bom=bom)
        return StreamingResponse(chunks, media_type=f"{DUMP_TYPES[fmt]}; charset=utf-8", headers=headers)

    async def download(self, request: Request) -> Response:
        """An uploaded file, counted."""
        try:
            ctx = await self.context(request)
            path = await upload_path(ctx, request.path_params["resource_id"])
        except YiwangError as exc:
            status, error = error_envelope(exc)
            return JSONResponse({"success": False, "error": error}, status_code=status)
        await store.count_download(ctx.pool, request.path_params["resource_id"])
        return FileResponse(path, filename=path.name)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _request_data(request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """The action's parameters and uploaded files; ValueError for a body that is not a JSON object."""
    if request.method == "GET":
        out: dict[str, Any] = {}
        for key in request.query_params:
            values = request.query_params.getlist(key)
            out[key] = values[0] if len(values) == 1 else values
        return out, {}
    kind = request.headers.get("content-type", "")
    if kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = (value.filename or key, await value.read())
            else:
                params[key] = value
        return params, files
    body = await request.body()
    if not body.strip():
        return {}, {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {type(data).__name__} but it needs to be a dictionary")
    return data, {}


async def _delimited_chunks(
    batches: AsyncIterator[list[Any]], names: list[str], *, delimiter: str, bom: bool
) -> AsyncIterator[str]:
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(names)
    async for batch in batches:
        for row in batch:
            writer.writerow(["" if v is None else jsonable(v) for v in row.values()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


async def _json_chunks(batches: AsyncIterator[list[Any]], names: list[str]) -> AsyncIterator[str]:
    yield '{"fields": ' + json.dumps([{"id": n} for n in names]) + ', "records": ['
    first = True
    async for batch in batches:
        rows = ",".join(json.dumps([jsonable(v) for v in row.values()], ensure_ascii=False) for row in batch)
        if rows:
            yield ("" if first else ",") + rows
            first = False
    yield "]}"


def ckan_routes() -> list[Route]:
    """The CKAN routes create_app mounts beside /graphql (docs/opendata.md)."""
    return CkanApi().routes()

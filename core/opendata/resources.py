"""Resources of a dataset with their files: added, or replaced with their table reloaded, in one transaction."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from core.bus import Bus
from core.errors import NotFound
from core.opendata import store
from core.opendata.checks import Checked
from core.opendata.datastore import analyze, load_in
from core.opendata.params import ValidationError
from core.opendata.service import announce, save
from core.opendata.tabular import Table
from core.settings import Settings


def uploads_dir(settings: Settings) -> Path:
    """Where uploaded files are kept: one folder per resource id, served by the download route."""
    return Path(settings.data_dir) / "opendata" / "uploads"


def keep_file(settings: Settings, *, dataset: str, resource_id: str, name: str, data: bytes) -> dict[str, Any]:
    """Keep a resource's uploaded file (replacing an earlier one); its values: our download URL, `url_type`
    upload (the link check leaves it alone: we serve it), size and hash."""
    folder = uploads_dir(settings) / resource_id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return {
        "url": f"{settings.issuer}/dataset/{dataset}/resource/{resource_id}/download/{name}",
        "url_type": "upload",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@dataclass(frozen=True, kw_only=True)
class Tabular:
    """A table read from an upload, to load into the datastore with the resource, and the schema it was given
    (checked already; None: types inferred)."""

    table: Table
    schema: dict[str, Any] | None = None


async def add_resource(
    *,
    pool: asyncpg.Pool,
    bus: Bus | None,
    settings: Settings,
    dataset_ref: str,
    values: dict[str, Any],
    tabular: Tabular | None = None,
) -> str:
    """resource_create: one more resource of the dataset (its table loaded too, in the same transaction)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await store.dataset_row(conn, dataset_ref)
        if row is None or row["state"] != "active":
            raise ValidationError({"package_id": ["Dataset not found"]})
        resource_id = await store.insert_resource(conn, row["id"], values)
        checked = Checked()
        if tabular is not None:
            loaded = await load_in(conn, resource_id=resource_id, table=tabular.table, schema=tabular.schema)
            if loaded.bbox is not None:
                checked.values["bbox"] = _union(row["bbox"], loaded.bbox)
        saved = await save(conn, settings, checked, dataset_id=row["id"])
    if tabular is not None:
        await analyze(pool, resource_id)
    await announce(bus, saved)
    return resource_id


async def replace_resource(
    *,
    pool: asyncpg.Pool,
    bus: Bus | None,
    settings: Settings,
    resource_id: str,
    values: dict[str, Any],
    tabular: Tabular | None = None,
) -> None:
    """resource_update / resource_patch: new values (a new file's size, hash, time) and its table reloaded, in one
    transaction; the quality review compares the new table's structure with the one it replaces."""
    async with pool.acquire() as conn, conn.transaction():
        dataset_id = await store.update_resource(conn, resource_id, values)
        if dataset_id is None:
            raise NotFound("Resource was not found.")
        if tabular is not None:
            await load_in(conn, resource_id=resource_id, table=tabular.table, schema=tabular.schema)
        saved = await save(conn, settings, Checked(), dataset_id=dataset_id)
    if tabular is not None:
        await analyze(pool, resource_id)
    await announce(bus, saved)


def _union(stored: list[float] | None, new: tuple[float, float, float, float]) -> list[float]:
    if not stored:
        return list(new)
    return [min(stored[0], new[0]), min(stored[1], new[1]), max(stored[2], new[2]), max(stored[3], new[3])]

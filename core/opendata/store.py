"""The catalogue's SQL: departments, domains, datasets and resources (reads and writes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg

from core.opendata.models import Dataset, Organization, Resource

Conn: TypeAlias = asyncpg.Pool | asyncpg.Connection

DATASET_COLUMNS = """d.id::text as id, d.name, d.title, d.notes, d.tags, d.license_id, d.license_title, d.frequency,
    d.temporal_start, d.temporal_end, d.spatial, d.bbox, d.contact_name, d.contact_email, d.contact_phone, d.version,
    d.private, d.state, d.source, d.source_id, d.extras, d.metadata_created, d.metadata_modified, d.revision,
    o.id::text as o_id, o.name as o_name, o.title as o_title, o.description as o_description,
    o.image_url as o_image, o.created as o_created,
    g.id::text as g_id, g.name as g_name, g.title as g_title, g.description as g_description, g.created as g_created"""
DATASET_FROM = """from opendata_datasets d join opendata_organizations o on o.id = d.organization_id
    left join opendata_groups g on g.id = d.group_id"""

RESOURCE_COLUMNS = (
    ("id", "r.id::text"),
    ("dataset_id", "r.dataset_id::text"),
    ("position", "r.position"),
    ("name", "r.name"),
    ("description", "r.description"),
    ("format", "r.format"),
    ("url", "r.url"),
    ("url_type", "r.url_type"),
    ("mimetype", "r.mimetype"),
    ("size", "r.size"),
    ("sha256", "r.sha256"),
    ("last_modified", "r.last_modified"),
    ("created", "r.created"),
    ("download_count", "r.download_count"),
    ("datastore_active", "(s.resource_id is not null)"),
)
RESOURCE_FROM = "from opendata_resources r left join opendata_datastore s on s.resource_id = r.id"
RESOURCES = f"select {', '.join(f'{sql} as {name}' for name, sql in RESOURCE_COLUMNS)} {RESOURCE_FROM}"
# A dataset's resources in its row's own statement, so in its snapshot: read by a second statement, a revision
# committed in between showed one revision's title and description beside another revision's files.
DATASET_RESOURCES = (
    f"(select array_agg(row({', '.join(sql for _, sql in RESOURCE_COLUMNS)}) order by r.position) {RESOURCE_FROM}"
    " where r.dataset_id = d.id) as resources"
)


def organization_of(r: asyncpg.Record, prefix: str = "") -> Organization:
    """A department or domain from a row: its own columns, or those of a join under `prefix`."""
    image = r.get(f"{prefix}image" if prefix else "image_url")
    return Organization(
        id=r[f"{prefix}id"],
        name=r[f"{prefix}name"],
        title=r[f"{prefix}title"],
        description=r[f"{prefix}description"],
        image_url=image or "",
        created=r[f"{prefix}created"],
        package_count=int(r.get("package_count") or 0),
    )


def resource_of(r: asyncpg.Record) -> Resource:
    return Resource(**dict(r.items()))


def dataset_of(r: asyncpg.Record) -> Dataset:
    """A dataset from a row of DATASET_COLUMNS and DATASET_RESOURCES."""
    extras = r["extras"]
    names = [name for name, _ in RESOURCE_COLUMNS]  # the positions of DATASET_RESOURCES' anonymous rows
    return Dataset(
        id=r["id"],
        name=r["name"],
        title=r["title"],
        notes=r["notes"],
        organization=organization_of(r, "o_"),
        domain=organization_of(r, "g_") if r["g_id"] else None,
        tags=tuple(r["tags"]),
        license_id=r["license_id"],
        license_title=r["license_title"],
        frequency=r["frequency"],
        temporal_start=r["temporal_start"],
        temporal_end=r["temporal_end"],
        spatial=r["spatial"],
        bbox=tuple(r["bbox"]) if r["bbox"] else None,
        contact_name=r["contact_name"],
        contact_email=r["contact_email"],
        contact_phone=r["contact_phone"],
        version=r["version"],
        private=r["private"],
        state=r["state"],
        source=r["source"],
        source_id=r["source_id"],
        extras=json.loads(extras) if isinstance(extras, str) else dict(extras or {}),
        metadata_created=r["metadata_created"],
        metadata_modified=r["metadata_modified"],
        revision=r["revision"],
        resources=tuple(Resource(**dict(zip(names, values, strict=True))) for values in r["resources"] or ()),
    )


async def datasets_by_ids(conn: Conn, ids: Sequence[str]) -> list[Dataset]:
    """The datasets of `ids` with their resources (one statement), in the order of `ids`."""
    if not ids:
        return []
    rows = await conn.fetch(
        f"select {DATASET_COLUMNS}, {DATASET_RESOURCES} {DATASET_FROM} where d.id = any($1::uuid[])", list(ids)
    )
    found = {r["id"]: dataset_of(r) for r in rows}
    return [found[i] for i in ids if i in found]


BY_ID_OR_NAME = "d.id::text = $1 or d.name = $1"


async def dataset(conn: Conn, id_or_name: str) -> Dataset | None:
    """One dataset by id or name with its resources, in one statement (deleted and private ones too: the caller
    decides what they may see)."""
    row = await conn.fetchrow(
        f"select {DATASET_COLUMNS}, {DATASET_RESOURCES} {DATASET_FROM} where {BY_ID_OR_NAME}", id_or_name
    )
    return dataset_of(row) if row else None


async def dataset_row(conn: Conn, id_or_name: str) -> asyncpg.Record | None:
    """One dataset row by id or name, without its resources (deleted ones too: the caller decides what they may
    see)."""
    return await conn.fetchrow(f"select {DATASET_COLUMNS} {DATASET_FROM} where {BY_ID_OR_NAME}", id_or_name)


async def resource_row(conn: Conn, resource_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(RESOURCES + " where r.id::text = $1", resource_id)


async def dataset_names(conn: Conn, *, limit: int | None, offset: int) -> list[str]:
    rows = await conn.fetch(
        "select name from opendata_datasets where state = 'active' and not private order by name limit $1 offset $2",
        limit,
        offset,
    )
    return [r["name"] for r in rows]


ORG_LIST = """select o.id::text as id, o.name, o.title, o.description, o.image_url, o.created,
    (select count(*) from opendata_datasets d where d.{key} = o.id and d.state = 'active' and not d.private)
        as package_count
from {table} o"""


def _org_sql(is_org: bool) -> str:
    key, table = ("organization_id", "opendata_organizations") if is_org else ("group_id", "opendata_groups")
    sql = ORG_LIST.format(key=key, table=table)
    return sql if is_org else sql.replace("o.image_url", "'' as image_url")


async def organizations(conn: Conn, *, is_org: bool, q: str, order: str, limit: int, offset: int) -> list[Organization]:
    """Departments (or domains) whose name or title holds `q`; `order` is a vetted ORDER BY clause."""
    sql = (
        f"{_org_sql(is_org)} where ($1 = '' or o.name ilike $2 or o.title ilike $2) order by {order} limit $3 offset $4"
    )
    rows = await conn.fetch(sql, q, f"%{q}%", limit, offset)
    return [organization_of(r) for r in rows]


async def organization(conn: Conn, *, is_org: bool, id_or_name: str) -> Organization | None:
    row = await conn.fetchrow(f"{_org_sql(is_org)} where o.id::text = $1 or o.name = $1", id_or_name)
    return organization_of(row) if row else None


async def tag_names(conn: Conn, *, query: str) -> list[str]:
    rows = await conn.fetch(
        """select distinct t from opendata_datasets d, unnest(d.tags) t
           where d.state = 'active' and not d.private and ($1 = '' or t ilike $2) order by t""",
        query,
        f"%{query}%",
    )
    return [r["t"] for r in rows]


async def count_download(conn: Conn, resource_id: str) -> None:
    await conn.execute(
        "update opendata_resources set download_count = download_count + 1 where id::text = $1", resource_id
    )


async def ensure_organization(conn: Conn, *, name: str, title: str, description: str = "") -> str:
    """The id of the department named `name`, made (or retitled) as given."""
    row = await conn.fetchval(
        """insert into opendata_organizations (name, title, description) values ($1, $2, $3)
           on conflict (name) do update set title = excluded.title, description = excluded.description
           returning id::text""",
        name,
        title,
        description,
    )
    return str(row)


async def ensure_group(conn: Conn, *, name: str, title: str) -> str:
    row = await conn.fetchval(
        """insert into opendata_groups (name, title) values ($1, $2)
           on conflict (name) do update set title = excluded.title returning id::text""",
        name,
        title,
    )
    return str(row)


async def find_organization_id(conn: Conn, id_or_name: str) -> str | None:
    found = await conn.fetchval(
        "select id::text from opendata_organizations where id::text = $1 or name = $1", id_or_name
    )
    return None if found is None else str(found)


async def find_group_id(conn: Conn, id_or_name_or_title: str) -> str | None:
    found = await conn.fetchval(
        "select id::text from opendata_groups where id::text = $1 or name = $1 or title = $1", id_or_name_or_title
    )
    return None if found is None else str(found)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v, ensure_ascii=False) if k == "extras" else v for k, v in values.items()}


async def insert_dataset(conn: Conn, values: dict[str, Any]) -> str:
    """A new dataset from checked column values (its search vector comes after, from update_search)."""
    values = _jsonable(values)
    cols = list(values)
    marks = ", ".join(f"${i + 1}" for i in range(len(cols)))
    sql = f"insert into opendata_datasets ({', '.join(cols)}) values ({marks}) returning id::text"
    return str(await conn.fetchval(sql, *values.values()))


async def update_dataset(conn: Conn, dataset_id: str, values: dict[str, Any]) -> None:
    """Checked column values replace the stored ones; the revision grows by one."""
    values = _jsonable(values)
    sets = "".join(f"{c} = ${i + 2}, " for i, c in enumerate(values))
    sql = f"update opendata_datasets set {sets}metadata_modified = now(), revision = revision + 1 where id = $1::uuid"
    await conn.execute(sql, dataset_id, *values.values())


async def update_search(conn: Conn, dataset_id: str, search_text: str) -> None:
    await conn.execute(
        "update opendata_datasets set search = to_tsvector('simple', $2) where id = $1::uuid", dataset_id, search_text
    )


async def set_dataset_state(conn: Conn, dataset_id: str, state: str) -> None:
    await conn.execute(
        """update opendata_datasets set state = $2, metadata_modified = now(), revision = revision + 1
           where id = $1::uuid""",
        dataset_id,
        state,
    )


async def insert_resource(conn: Conn, dataset_id: str, values: dict[str, Any]) -> str:
    cols = list(values)
    marks = ", ".join(f"${i + 2}" for i in range(len(cols)))
    sql = (
        f"insert into opendata_resources (dataset_id, position, {', '.join(cols)}) values ($1::uuid, "
        "(select coalesce(max(position) + 1, 0) from opendata_resources where dataset_id = $1::uuid), "
        f"{marks}) returning id::text"
    )
    return str(await conn.fetchval(sql, dataset_id, *values.values()))


async def delete_resources(conn: Conn, dataset_id: str) -> None:
    """Drop the dataset's resources and their datastore tables (replaced by a package's new resource list)."""
    tables = await conn.fetch(
        """select s.table_name from opendata_datastore s join opendata_resources r on r.id = s.resource_id
           where r.dataset_id = $1::uuid""",
        dataset_id,
    )
    for row in tables:
        await conn.execute('drop table if exists datastore."' + row["table_name"].replace('"', '""') + '"')
    await conn.execute("delete from opendata_resources where dataset_id = $1::uuid", dataset_id)


async def refresh_formats(conn: Conn, dataset_id: str) -> None:
    """The dataset's res_formats from its resources (what res_format: filters and facets read)."""
    await conn.execute(
        """update opendata_datasets set res_formats = coalesce((select array_agg(distinct upper(format))
               from opendata_resources where dataset_id = $1::uuid and format <> ''), '{}'),
               metadata_modified = now()
           where id = $1::uuid""",
        dataset_id,
    )


async def lock_dataset(conn: asyncpg.Connection, dataset_id: str) -> None:
    await conn.execute("select 1 from opendata_datasets where id = $1::uuid for update", dataset_id)


async def public_dataset_ids(conn: Conn, *, limit: int, offset: int) -> tuple[list[str], int]:
    """A page of the public, active datasets (newest change first) and how many there are."""
    where = "where state = 'active' and not private"
    total = await conn.fetchval(f"select count(*) from opendata_datasets {where}")
    rows = await conn.fetch(
        f"select id::text from opendata_datasets {where} order by metadata_modified desc, name limit $1 offset $2",
        limit,
        offset,
    )
    return [r["id"] for r in rows], int(total)


async def update_resource(conn: Conn, resource_id: str, values: dict[str, Any]) -> str | None:
    """Checked column values replace the resource's; its dataset id, or None when there is no such resource."""
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(values))
    found = await conn.fetchval(
        f"update opendata_resources set {sets} where id::text = $1 returning dataset_id::text",
        resource_id,
        *values.values(),
    )
    return None if found is None else str(found)


async def bump_changes(conn: Conn) -> None:
    """One more catalogue change, in the changing transaction (it orders writers, as a catalogue's are few)."""
    await conn.execute("update opendata_changes set n = n + 1")


async def changes(conn: Conn) -> int:
    """The number of committed catalogue changes: a new value after every one."""
    return int(await conn.fetchval("select n from opendata_changes"))

"""The datastore: a tabular resource as a Postgres table in schema `datastore`, loaded whole or not at all.

A load converts every column first through the schema (inferred or given; core.opendata.columns), COPYs the rows
into a new table, builds its indexes (the quality review runs beside them, in a thread), then in the same
transaction drops the old table and renames the new one into its place: a reader sees the old rows or the new,
never a half; a cell that does not convert refuses the load before anything is written.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from core.errors import NotFound
from core.locks import Lock
from core.opendata.columns import Converted, column, convert, misfit_error
from core.opendata.quality import Finding, review, store_findings
from core.opendata.tabular import Table
from core.opendata.types import PG_TYPES, check_schema, infer, infer_column

MAX_INDEXES = 8
SAMPLE_ROWS = 4000  # rows read to infer types; the conversion of every row checks them
SHORT_TEXT = 64  # string columns whose cells are at most this long are codes or categories: indexed
DUMP_BATCH = 2000


@dataclass(frozen=True, kw_only=True)
class Loaded:
    """What a load did: rows, the table schema used, the encoding read."""

    resource_id: str
    rows: int
    schema: dict[str, Any]
    encoding: str
    bbox: tuple[float, float, float, float] | None = None


def quote(name: str) -> str:
    """A quoted Postgres identifier (column names come from files)."""
    return '"' + name.replace('"', '""') + '"'


def _indexed(table: Table, schema: dict[str, Any]) -> list[str]:
    """Columns worth an index for filters: numbers, dates, booleans, and short strings."""
    out = []
    for i, f in enumerate(schema["fields"]):
        if f["type"] == "string" and max(map(len, filter(None, column(table.rows, i))), default=0) > SHORT_TEXT:
            continue
        out.append(f["name"])
    return out[:MAX_INDEXES]


def prepare(table: Table, schema: dict[str, Any] | None) -> dict[str, Any]:
    """The schema a load will use: the override checked against the header, else one inferred from every row."""
    return check_schema(schema, table.header) if schema is not None else infer(table.header, table.rows)


def sample(rows: list[list[str | None]]) -> list[list[str | None]]:
    """The first rows and rows spread over the rest: what inference reads before the load checks every row."""
    if len(rows) <= SAMPLE_ROWS:
        return rows
    half = SAMPLE_ROWS // 2
    step = max(1, (len(rows) - half) // half)
    return rows[:half] + rows[half::step]


def converted(table: Table, schema: dict[str, Any] | None) -> tuple[dict[str, Any], Converted]:
    """The schema used and the table converted by it. A given schema refuses a cell that does not fit; without one,
    types come from a sample of the rows and are checked by the conversion itself: a column with a cell past the
    sample that does not fit takes the type every one of its cells fits (its other columns keep theirs: a type
    every cell fits is the one all of them decide)."""
    if schema is not None:
        done = convert(table.rows, schema)
        if done.misfits:
            raise misfit_error(done, table.rows, table.lines, schema)
        return schema, done
    guessed = infer(table.header, sample(table.rows))
    done = convert(table.rows, guessed)
    if not done.misfits:
        return guessed, done
    fields = [
        {**f, "type": infer_column(column(table.rows, i))} if i in done.misfits else f
        for i, f in enumerate(guessed["fields"])
    ]
    used = {**guessed, "fields": fields}
    return used, convert(table.rows, used)


async def _fill(conn: asyncpg.Connection, schema: dict[str, Any], done: Converted) -> str:
    """A staging table made and filled by COPY, with its key."""
    staging = f"load_{secrets.token_hex(6)}"
    columns = ["_id", *[f["name"] for f in schema["fields"]], "_tokens"]
    defs = "".join(f"{quote(f['name'])} {PG_TYPES[f['type']]}, " for f in schema["fields"])
    await conn.execute(f"create table datastore.{staging} (_id bigint not null, {defs}_tokens text)")
    await conn.copy_records_to_table(staging, schema_name="datastore", columns=columns, records=done.records())
    # the key built once over the loaded rows (sorted, parallel) costs less than one insert per row during COPY
    await conn.execute(f"alter table datastore.{staging} add primary key (_id)")
    return staging


async def _indexes(conn: asyncpg.Connection, staging: str, table: Table, schema: dict[str, Any]) -> None:
    for name in _indexed(table, schema):
        await conn.execute(f"create index ix_{secrets.token_hex(6)} on datastore.{staging} ({quote(name)})")
    await conn.execute(
        f"create index ix_{secrets.token_hex(6)} on datastore.{staging} using gin (to_tsvector('simple', _tokens))"
    )


async def _built(
    conn: asyncpg.Connection, table: Table, schema: dict[str, Any], done: Converted, previous: Any
) -> tuple[str, list[Finding]]:
    """The staging table filled and indexed, and the quality review of the table, made in a thread while Postgres
    builds the indexes (not during the COPY: the review would hold back the encoding of the rows it streams)."""
    before = json.loads(previous) if isinstance(previous, str) else previous
    staging = await _fill(conn, schema, done)
    reviewing = asyncio.ensure_future(asyncio.to_thread(review, table, schema, before))
    try:
        await _indexes(conn, staging, table, schema)
    finally:
        findings = await reviewing  # never left running past a failed load
    return staging, findings


async def load_in(conn: asyncpg.Connection, *, resource_id: str, table: Table, schema: dict[str, Any] | None) -> Loaded:
    """Load `table` as the resource's datastore table in the caller's transaction, with `schema` (checked
    beforehand) or types inferred."""
    await Lock.DATASTORE.hold(conn, resource_id)
    await conn.execute("set local maintenance_work_mem = '256MB'")  # index builds of big tables in memory
    # in a thread: a big table takes seconds to convert, and the event loop keeps serving other requests meanwhile
    used, done = await asyncio.to_thread(converted, table, schema)
    previous = await conn.fetchval("select schema from opendata_datastore where resource_id = $1::uuid", resource_id)
    staging, findings = await _built(conn, table, used, done, previous)
    await store_findings(conn, resource_id, findings)
    await conn.execute(f"drop table if exists datastore.{quote(resource_id)}")
    await conn.execute(f"alter table datastore.{staging} rename to {quote(resource_id)}")
    await conn.execute(
        """insert into opendata_datastore (resource_id, table_name, schema, row_count, encoding)
           values ($1::uuid, $1, $2::jsonb, $3, $4)
           on conflict (resource_id) do update set schema = excluded.schema, row_count = excluded.row_count,
               encoding = excluded.encoding, loaded_at = now()""",
        resource_id,
        json.dumps(used, ensure_ascii=False),
        len(table.rows),
        table.encoding,
    )
    return Loaded(resource_id=resource_id, rows=len(table.rows), schema=used, encoding=table.encoding, bbox=table.bbox)


async def load(*, pool: asyncpg.Pool, resource_id: str, table: Table, schema: dict[str, Any] | None = None) -> Loaded:
    """Load `table` as the datastore table of the resource, replacing any earlier load in one transaction."""
    checked = check_schema(schema, table.header) if schema is not None else None
    async with pool.acquire() as conn, conn.transaction():
        loaded = await load_in(conn, resource_id=resource_id, table=table, schema=checked)
    await analyze(pool, resource_id)
    return loaded


async def analyze(pool: asyncpg.Pool, resource_id: str) -> None:
    """Planner statistics of a freshly loaded table (outside the load's transaction)."""
    await pool.execute(f"analyze datastore.{quote(resource_id)}")


@dataclass(frozen=True, kw_only=True)
class Info:
    """A loaded resource: its table, schema and size, and the dataset it belongs to."""

    resource_id: str
    dataset_id: str
    schema: dict[str, Any]
    rows: int
    public: bool = True  # its dataset is active and not private
    stamp: str = ""  # the version of its opendata_datastore row (xmin): a new value after every load

    @property
    def names(self) -> list[str]:
        return [f["name"] for f in self.schema["fields"]]

    def kind(self, name: str) -> str:
        return next(f["type"] for f in self.schema["fields"] if f["name"] == name)


async def info(conn: asyncpg.Pool | asyncpg.Connection, resource_id: str) -> Info:
    row = await conn.fetchrow(
        """select s.resource_id::text as rid, r.dataset_id::text as dataset_id, s.schema, s.row_count,
                  d.state = 'active' and not d.private as public, s.xmin::text as stamp
           from opendata_datastore s join opendata_resources r on r.id = s.resource_id
           join opendata_datasets d on d.id = r.dataset_id
           where s.resource_id::text = $1""",
        resource_id,
    )
    if row is None:
        raise NotFound(f'Resource "{resource_id}" was not found.')
    schema = row["schema"]
    return Info(
        resource_id=row["rid"],
        dataset_id=row["dataset_id"],
        schema=json.loads(schema) if isinstance(schema, str) else schema,
        rows=row["row_count"],
        public=row["public"],
        stamp=row["stamp"],
    )


def stamp_sql(arg: int) -> str:
    """A scalar subquery: the stamp of the table of the resource id in argument `arg` while its dataset is public,
    else null. Statements built from a remembered Info carry it to learn, in the same round trip, whether that
    Info still holds (core.opendata.dsearch)."""
    return f"""(select s.xmin::text from opendata_datastore s join opendata_resources r on r.id = s.resource_id
        join opendata_datasets d on d.id = r.dataset_id
        where s.resource_id = ${arg}::uuid and d.state = 'active' and not d.private)"""


async def known_tables(conn: asyncpg.Pool | asyncpg.Connection, names: list[str]) -> dict[str, str]:
    """Of `names`, the loaded resources' tables: name -> dataset id."""
    rows = await conn.fetch(
        """select s.table_name, r.dataset_id::text as dataset_id from opendata_datastore s
           join opendata_resources r on r.id = s.resource_id where s.table_name = any($1)""",
        names,
    )
    return {r["table_name"]: r["dataset_id"] for r in rows}


async def dump(
    pool: asyncpg.Pool, found: Info, *, offset: int = 0, limit: int | None = None
) -> AsyncIterator[list[asyncpg.Record]]:
    """The table's rows in _id order (all, or `limit` of them after the first `offset`), in batches, through one
    server-side cursor."""
    cols = ", ".join(["_id", *(quote(n) for n in found.names)])
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        cursor = await conn.cursor(
            f"select {cols} from datastore.{quote(found.resource_id)} order by _id offset $1 limit $2", offset, limit
        )
        while True:
            batch = await cursor.fetch(DUMP_BATCH)
            if not batch:
                return
            yield batch


async def preview(pool: asyncpg.Pool, resource_id: str, *, rows: int) -> tuple[list[str], list[list[Any]]] | None:
    """The first rows of a loaded resource (column names, rows); None when it is not in the datastore."""
    try:
        found = await info(pool, resource_id)
    except NotFound:
        return None
    cols = ", ".join(quote(n) for n in found.names)
    records = await pool.fetch(f"select {cols} from datastore.{quote(resource_id)} order by _id limit $1", rows)
    return found.names, [list(r.values()) for r in records]

"""The datastore: a tabular resource as a Postgres table in schema `datastore`, loaded whole or not at all.

A load converts every row first through the schema (inferred or given), COPYs them into a new table, builds its
indexes, then in the same transaction drops the old table and renames the new one into its place: a reader sees
the old rows or the new, never a half; a row that does not convert rolls everything back.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from core.errors import Invalid, NotFound
from core.opendata.quality import review, store_findings
from core.opendata.tabular import Table
from core.opendata.tokens import cell_text
from core.opendata.types import PG_TYPES, check_schema, converter, infer

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


def _records(table: Table, schema: dict[str, Any]) -> Iterator[list[Any]]:
    convert = converter(schema)
    strings = [i for i, f in enumerate(schema["fields"]) if f["type"] == "string"]
    for number, (row, line) in enumerate(zip(table.rows, table.lines, strict=True), start=1):
        values = convert(row, line)
        tokens = " ".join(cell_text(c) for c in (row[i] for i in strings) if c)
        yield [number, *values, tokens]


def _indexed(table: Table, schema: dict[str, Any]) -> list[str]:
    """Columns worth an index for filters: numbers, dates, booleans, and short strings."""
    out = []
    for i, f in enumerate(schema["fields"]):
        if f["type"] == "string" and any(len(r[i] or "") > SHORT_TEXT for r in table.rows):
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


async def _fill(conn: asyncpg.Connection, staging: str, table: Table, schema: dict[str, Any]) -> None:
    columns = ["_id", *[f["name"] for f in schema["fields"]], "_tokens"]
    defs = "".join(f"{quote(f['name'])} {PG_TYPES[f['type']]}, " for f in schema["fields"])
    await conn.execute(f"create table datastore.{staging} (_id bigint primary key, {defs}_tokens text)")
    await conn.copy_records_to_table(staging, schema_name="datastore", columns=columns, records=_records(table, schema))


async def _filled(conn: asyncpg.Connection, table: Table, schema: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """A staging table made and filled by COPY, and the schema used. Without one given, types come from a sample of
    the rows and are checked by the conversion itself: when a cell past the sample does not fit, every row decides.
    Each attempt has a table name of its own (asyncpg keeps the column types of a name it copied into)."""
    staging = f"load_{secrets.token_hex(6)}"
    if schema is not None:
        await _fill(conn, staging, table, schema)
        return staging, schema
    guessed = infer(table.header, sample(table.rows))
    try:
        async with conn.transaction():  # a savepoint: a failed COPY leaves the load's transaction usable
            await _fill(conn, staging, table, guessed)
        return staging, guessed
    except Invalid:
        staging, used = f"load_{secrets.token_hex(6)}", infer(table.header, table.rows)
        await _fill(conn, staging, table, used)
        return staging, used


async def load_in(conn: asyncpg.Connection, *, resource_id: str, table: Table, schema: dict[str, Any] | None) -> Loaded:
    """Load `table` as the resource's datastore table in the caller's transaction, with `schema` (checked
    beforehand) or types inferred."""
    await conn.execute("select pg_advisory_xact_lock(hashtext($1))", f"datastore:{resource_id}")
    await conn.execute("set local maintenance_work_mem = '256MB'")  # index builds of big tables in memory
    staging, schema = await _filled(conn, table, schema)
    for name in _indexed(table, schema):
        await conn.execute(f"create index ix_{secrets.token_hex(6)} on datastore.{staging} ({quote(name)})")
    await conn.execute(
        f"create index ix_{secrets.token_hex(6)} on datastore.{staging} using gin (to_tsvector('simple', _tokens))"
    )
    previous = await conn.fetchval("select schema from opendata_datastore where resource_id = $1::uuid", resource_id)
    findings = review(table, schema, json.loads(previous) if isinstance(previous, str) else previous)
    await store_findings(conn, resource_id, findings)
    await conn.execute(f"drop table if exists datastore.{quote(resource_id)}")
    await conn.execute(f"alter table datastore.{staging} rename to {quote(resource_id)}")
    await conn.execute(
        """insert into opendata_datastore (resource_id, table_name, schema, row_count, encoding)
           values ($1::uuid, $1, $2::jsonb, $3, $4)
           on conflict (resource_id) do update set schema = excluded.schema, row_count = excluded.row_count,
               encoding = excluded.encoding, loaded_at = now()""",
        resource_id,
        json.dumps(schema, ensure_ascii=False),
        len(table.rows),
        table.encoding,
    )
    return Loaded(
        resource_id=resource_id, rows=len(table.rows), schema=schema, encoding=table.encoding, bbox=table.bbox
    )


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

    @property
    def names(self) -> list[str]:
        return [f["name"] for f in self.schema["fields"]]

    def kind(self, name: str) -> str:
        return next(f["type"] for f in self.schema["fields"] if f["name"] == name)


async def info(conn: asyncpg.Pool | asyncpg.Connection, resource_id: str) -> Info:
    row = await conn.fetchrow(
        """select s.resource_id::text as rid, r.dataset_id::text as dataset_id, s.schema, s.row_count,
                  d.state = 'active' and not d.private as public
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
    )


async def known_tables(conn: asyncpg.Pool | asyncpg.Connection, names: list[str]) -> dict[str, str]:
    """Of `names`, the loaded resources' tables: name -> dataset id."""
    rows = await conn.fetch(
        """select s.table_name, r.dataset_id::text as dataset_id from opendata_datastore s
           join opendata_resources r on r.id = s.resource_id where s.table_name = any($1)""",
        names,
    )
    return {r["table_name"]: r["dataset_id"] for r in rows}


async def dump(pool: asyncpg.Pool, found: Info) -> AsyncIterator[list[asyncpg.Record]]:
    """Every row of the table in _id order, in batches, through one server-side cursor."""
    cols = ", ".join(["_id", *(quote(n) for n in found.names)])
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        cursor = await conn.cursor(f"select {cols} from datastore.{quote(found.resource_id)} order by _id")
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

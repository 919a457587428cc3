"""SQL of the units, items, revisions and roll-ups (core.disclosure owns every disclosure_* table)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeAlias
from uuid import UUID

import asyncpg

from core.disclosure.models import BlobRef, Item, Revision, RollupRow, Unit
from core.disclosure.rollups import Vector

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool

UNIT_COLUMNS = "code, name, level, parent_code, site_id"
ITEM_COLUMNS = """id, external_id, unit_code, board, category, period, dated, title, body, attachments, revision,
                  published_at, withdrawn_at, updated_at"""

UPSERT_UNITS = """
    insert into disclosure_units (code, name, level, parent_code, site_id)
    select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
    on conflict (code) do update set name = excluded.name where disclosure_units.name <> excluded.name"""

APPLY_DELTAS = """
    insert into disclosure_rollups as r (unit_code, metric, count, amount, spent, area, value)
    select * from unnest($1::text[], $2::text[], $3::bigint[], $4::numeric[], $5::numeric[], $6::numeric[],
                         $7::numeric[])
    on conflict (unit_code, metric) do update set count = r.count + excluded.count,
        amount = r.amount + excluded.amount, spent = r.spent + excluded.spent,
        area = r.area + excluded.area, value = r.value + excluded.value"""

INSERT_ITEM = f"""
    insert into disclosure_items (external_id, unit_code, board, category, period, period_start, period_end, dated,
                                  title, body, attachments, published_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12) returning {ITEM_COLUMNS}"""

UPDATE_ITEM = f"""
    update disclosure_items set board = $2, category = $3, period = $4, period_start = $5, period_end = $6,
        dated = $7, title = $8, body = $9, attachments = $10::jsonb, revision = revision + 1, updated_at = $11
    where id = $1 returning {ITEM_COLUMNS}"""

INSERT_REVISION = """
    insert into disclosure_item_revisions (item_id, revision, category, period, dated, title, body, attachments,
                                           reason, edited_by, edited_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)"""


def unit_of(r: asyncpg.Record) -> Unit:
    return Unit(code=r["code"], name=r["name"], level=r["level"], parent_code=r["parent_code"], site_id=r["site_id"])


def blobs_of(raw: Any) -> list[BlobRef]:
    return [BlobRef.of(x) for x in (json.loads(raw) if isinstance(raw, str) else raw or [])]


def blobs_json(refs: Sequence[BlobRef]) -> str:
    return json.dumps([r.as_json() for r in refs], ensure_ascii=False)


def item_of(r: asyncpg.Record) -> Item:
    values = dict(r)
    values["attachments"] = blobs_of(values["attachments"])
    return Item(**values)


async def upsert_units(conn: Conn, units: Sequence[Unit]) -> None:
    cols = list(zip(*[(u.code, u.name, u.level, u.parent_code, u.site_id) for u in units], strict=True))
    if cols:
        await conn.execute(UPSERT_UNITS, *[list(c) for c in cols])


async def get_unit(conn: Conn, code: str) -> Unit | None:
    row = await conn.fetchrow(f"select {UNIT_COLUMNS} from disclosure_units where code = $1", code)
    return unit_of(row) if row else None


async def get_units(conn: Conn, codes: Sequence[str]) -> dict[str, Unit]:
    rows = await conn.fetch(f"select {UNIT_COLUMNS} from disclosure_units where code = any($1::text[])", list(codes))
    return {r["code"]: unit_of(r) for r in rows}


async def all_unit_codes(conn: Conn) -> set[str]:
    return {r["code"] for r in await conn.fetch("select code from disclosure_units")}


async def children(conn: Conn, parent: str | None, offset: int, limit: int) -> tuple[list[Unit], int]:
    where = "parent_code = $1" if parent else "parent_code is null and $1::text is null"
    total = await conn.fetchval(f"select count(*) from disclosure_units where {where}", parent)
    rows = await conn.fetch(
        f"select {UNIT_COLUMNS} from disclosure_units where {where} order by code offset $2 limit $3",
        parent,
        offset,
        limit,
    )
    return [unit_of(r) for r in rows], int(total)


async def apply_deltas(conn: asyncpg.Connection, rows: Sequence[tuple[str, str, Vector]]) -> None:
    """Add each delta to its roll-up row (created at zero when missing), in the caller's transaction."""
    if not rows:
        return
    units, metrics, vs = zip(*rows, strict=True)
    await conn.execute(
        APPLY_DELTAS,
        list(units),
        list(metrics),
        [v.count for v in vs],
        [v.amount for v in vs],
        [v.spent for v in vs],
        [v.area for v in vs],
        [v.value for v in vs],
    )


async def rollup_of(conn: Conn, code: str) -> list[RollupRow]:
    rows = await conn.fetch(
        """select metric, count, amount, spent, area, value from disclosure_rollups
           where unit_code = $1 and count <> 0 order by metric""",
        code,
    )
    return [RollupRow(**dict(r)) for r in rows]


async def insert_item(conn: asyncpg.Connection, v: dict[str, Any]) -> Item:
    row = await conn.fetchrow(
        INSERT_ITEM,
        v["external_id"],
        v["unit_code"],
        v["board"],
        v["category"],
        v["period"].label,
        v["period"].start,
        v["period"].end,
        v["dated"],
        v["title"],
        v["body"],
        blobs_json(v["attachments"]),
        v["published_at"],
    )
    return item_of(row)


async def update_item(conn: asyncpg.Connection, item_id: UUID, v: dict[str, Any], at: datetime) -> Item:
    p = v["period"]
    row = await conn.fetchrow(
        UPDATE_ITEM,
        item_id,
        v["board"],
        v["category"],
        p.label,
        p.start,
        p.end,
        v["dated"],
        v["title"],
        v["body"],
        blobs_json(v["attachments"]),
        at,
    )
    return item_of(row)


async def insert_revision(conn: asyncpg.Connection, item: Item, *, reason: str, by: str, at: datetime) -> None:
    await conn.execute(
        INSERT_REVISION,
        item.id,
        item.revision,
        item.category,
        item.period,
        item.dated,
        item.title,
        item.body,
        blobs_json(item.attachments),
        reason,
        by,
        at,
    )


async def get_item(conn: Conn, item_id: UUID, *, lock: bool = False) -> Item | None:
    suffix = " for update" if lock else ""
    row = await conn.fetchrow(f"select {ITEM_COLUMNS} from disclosure_items where id = $1{suffix}", item_id)
    return item_of(row) if row else None


async def items_like(conn: asyncpg.Connection, unit_code: str, title: str, dated: date) -> list[Item]:
    rows = await conn.fetch(
        f"""select {ITEM_COLUMNS} from disclosure_items
            where unit_code = $1 and title = $2 and dated = $3 and withdrawn_at is null order by id""",
        unit_code,
        title,
        dated,
    )
    return [item_of(r) for r in rows]


async def items_by_external_id(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, Item]:
    rows = await conn.fetch(
        f"select {ITEM_COLUMNS} from disclosure_items where external_id = any($1::text[]) order by id for update",
        list(ids),
    )
    return {r["external_id"]: item_of(r) for r in rows}


async def set_item_state(
    conn: asyncpg.Connection, item_id: UUID, *, published_at: datetime | None, withdrawn_at: datetime | None
) -> Item:
    row = await conn.fetchrow(
        f"""update disclosure_items set published_at = $2, withdrawn_at = $3, updated_at = now() where id = $1
            returning {ITEM_COLUMNS}""",
        item_id,
        published_at,
        withdrawn_at,
    )
    return item_of(row)


async def revisions(conn: Conn, item_id: UUID, up_to: int | None = None) -> list[Revision]:
    rows = await conn.fetch(
        """select revision, category, period, dated, title, body, attachments, reason, edited_by, edited_at
           from disclosure_item_revisions where item_id = $1 and ($2::int is null or revision <= $2)
           order by revision desc""",
        item_id,
        up_to,
    )
    return [Revision(**{**dict(r), "attachments": blobs_of(r["attachments"])}) for r in rows]


async def items_page(
    conn: Conn,
    *,
    first: str,
    last: str | None,
    category: str | None,
    start: date | None,
    end: date | None,
    offset: int,
    limit: int,
    total: int | None = None,
) -> tuple[list[Item], int]:
    """Published items of the unit `first` (with `last`, of the codes from `first` to `last`: a subtree), the
    newest period first; a period filter keeps those inside it. `total` given (from the roll-ups) is not
    counted again."""
    unit_test = "unit_code between $1 and $2" if last else "unit_code = $1 and $2::text is null"
    where = f"""{unit_test} and published_at is not null and withdrawn_at is null
        and ($3::text is null or category = $3) and ($4::date is null or period_start >= $4)
        and ($5::date is null or period_end <= $5)"""
    args = (first, last, category, start, end)
    if total is None:
        total = await conn.fetchval(f"select count(*) from disclosure_items where {where}", *args)
    rows = await conn.fetch(
        f"""select {ITEM_COLUMNS} from disclosure_items where {where}
            order by period_start desc, published_at desc, id offset $6 limit $7""",
        *args,
        offset,
        limit,
    )
    return [item_of(r) for r in rows], int(total)


async def rollup_counts(conn: Conn, codes: Sequence[str], metric: str) -> list[int]:
    """One roll-up metric's count for each unit (0 when its row is missing): what it and everything below hold."""
    rows = await conn.fetch(
        "select unit_code, count from disclosure_rollups where unit_code = any($1::text[]) and metric = $2",
        list(codes),
        metric,
    )
    found = {r["unit_code"]: int(r["count"]) for r in rows}
    return [found.get(c, 0) for c in codes]


async def own_count(conn: Conn, code: str, metric: str) -> int:
    """One roll-up metric's count of the unit's own rows: its roll-up less its children's (each covers itself and
    everything below it), so a village's 10,000 items are not counted per request."""
    return int(
        await conn.fetchval(
            """select coalesce((select count from disclosure_rollups where unit_code = $1 and metric = $2), 0)
                    - coalesce((select sum(r.count) from disclosure_units u
                                join disclosure_rollups r on r.unit_code = u.code and r.metric = $2
                                where u.parent_code = $1), 0)""",
            code,
            metric,
        )
    )


async def count_items(
    conn: Conn, first: str, last: str, category: str | None, start: date | None, end: date | None
) -> int:
    """Published items of the codes from `first` to `last` of a category, inside a period."""
    found = await conn.fetchval(
        """select count(*) from disclosure_items where unit_code between $1 and $2 and published_at is not null
           and withdrawn_at is null and ($3::text is null or category = $3) and ($4::date is null or period_start >= $4)
           and ($5::date is null or period_end <= $5)""",
        first,
        last,
        category,
        start,
        end,
    )
    return int(found)

"""Bulk SQL of imports: many new rows in one pipelined statement (ids made by the caller, so nothing returns)."""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import asyncpg

from core.disclosure.funds_store import FUND_COLUMNS, fund_of
from core.disclosure.models import STAGES, Fund, Item
from core.disclosure.store import ITEM_COLUMNS, Conn, item_of

# New items travel once, by binary COPY into a staging table of the transaction, and two statements insert them and
# their first revisions from it: no array parameters to encode (the slow part in Python), no row sent twice. (One
# statement, revisions from the insert's `returning`, measured ~10% more Postgres CPU: a CTE materialises every row.)
STAGE_ITEMS = """
    create temp table if not exists disclosure_items_import (
        id uuid, external_id text, unit_code text, board text, category text, period text, period_start date,
        period_end date, dated date, title text, body text) on commit delete rows;
    create temp table if not exists disclosure_items_changes (like disclosure_items_import) on commit delete rows"""

INSERT_STAGED_ITEMS = """
    insert into disclosure_items (id, external_id, unit_code, board, category, period, period_start, period_end, dated,
                                  title, body, published_at, created_at, updated_at)
    select s.*, $1::timestamptz, $1::timestamptz, $1::timestamptz from pg_temp.disclosure_items_import s"""

INSERT_STAGED_REVISIONS = """
    insert into disclosure_item_revisions (item_id, revision, category, period, dated, title, body, attachments, reason,
                                           edited_by, edited_at)
    select id, 1, category, period, dated, title, body, '[]'::jsonb, '', $2, $1 from pg_temp.disclosure_items_import"""

# Changed items: one update from the staged rows (attachments and publication state stay), the new revisions from
# what it returns, and the updated items back for roll-up deltas and announcements.
UPDATE_STAGED_ITEMS = f"""
    with changed as (
        update disclosure_items i set board = s.board, category = s.category, period = s.period,
            period_start = s.period_start, period_end = s.period_end, dated = s.dated, title = s.title,
            body = s.body, revision = i.revision + 1, updated_at = $1
        from pg_temp.disclosure_items_changes s where i.id = s.id
        returning {", ".join("i." + c.strip() for c in ITEM_COLUMNS.split(","))}),
    revised as (
        insert into disclosure_item_revisions (item_id, revision, category, period, dated, title, body, attachments,
                                               reason, edited_by, edited_at)
        select id, revision, category, period, dated, title, body, attachments, 'import', $2, $1 from changed)
    select * from changed"""

# Roll-up deltas that are counts only (items'): three arrays of ints and text, not seven (numeric zeros cost Python
# a Decimal encoding each); the same upsert as store.apply_deltas otherwise, in the order given (key order).
ADD_COUNTS = """
    insert into disclosure_rollups as r (unit_code, metric, count)
    select * from unnest($1::text[], $2::text[], $3::bigint[])
    on conflict (unit_code, metric) do update set count = r.count + excluded.count"""

INSERT_FUNDS = """
    insert into disclosure_funds (id, external_id, unit_code, name, category, source, amount, stage, year)
    select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[],
                         $8::text[], $9::int[])"""

INSERT_STAGES = """
    insert into disclosure_fund_stages (fund_id, stage, entered_on)
    select * from unnest($1::uuid[], $2::text[], $3::date[]) on conflict (fund_id, stage) do nothing"""

INSERT_SPENDING = """
    insert into disclosure_spending (id, external_id, fund_id, amount, spent_on, payee, note)
    select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::numeric[], $5::date[], $6::text[], $7::text[])"""

ADD_SPENT = """
    update disclosure_funds f set spent = f.spent + d.amount, updated_at = now()
    from unnest($1::uuid[], $2::numeric[]) as d (id, amount) where f.id = d.id"""

UPSERT_ASSETS = """
    insert into disclosure_assets (id, external_id, unit_code, kind, name, category, area, value)
    select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[],
                         $8::numeric[])
    on conflict (external_id) do update set unit_code = excluded.unit_code, kind = excluded.kind,
        name = excluded.name, category = excluded.category, area = excluded.area, value = excluded.value,
        updated_at = now()"""


VERSION_7 = bytes(0x70 | (b & 0x0F) for b in range(256))  # a byte's high nibble set to 7
VARIANT = bytes(0x80 | (b & 0x3F) for b in range(256))  # a byte's two high bits set to 10


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


async def insert_items(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]], *, at: Any, by: str) -> None:
    """New published items (id, external id, unit, board, category, period, start, end, dated, title, body) and
    their first revisions, in the caller's transaction (the staging rows go with it)."""
    if not rows:
        return
    await conn.execute(STAGE_ITEMS)
    await conn.copy_records_to_table("disclosure_items_import", records=rows, schema_name="pg_temp")
    await conn.execute(INSERT_STAGED_ITEMS, at)
    await conn.execute(INSERT_STAGED_REVISIONS, at, by)


async def update_items(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]], *, at: Any, by: str) -> list[Item]:
    """Changed items (rows shaped as for `insert_items`, with the items' ids): new content, the next revision."""
    if not rows:
        return []
    await conn.execute(STAGE_ITEMS)
    await conn.copy_records_to_table("disclosure_items_changes", records=rows, schema_name="pg_temp")
    return [item_of(r) for r in await conn.fetch(UPDATE_STAGED_ITEMS, at, by)]


def time_ordered_ids(n: int) -> list[str]:
    """UUIDv7 ids (RFC 9562: 48 bits of milliseconds, the version, 74 random bits, the variant) as 32 hex digits: a
    batch's rows land next to each other in the primary key indexes instead of at random pages of a big index. The
    batch's bytes are made at once (random bytes, the time written into every 16th, version and variant bits by
    translation). Text, not uuid.UUID: asyncpg encodes either for a uuid column, a UUID object cost more than
    checking a row, and a row holding one stays with the cyclic garbage collector (str, dates and tuples of them
    are left alone)."""
    raw = bytearray(os.urandom(16 * n))
    ms = (time.time_ns() // 1_000_000).to_bytes(6, "big")
    for k in range(6):
        raw[k::16] = ms[k : k + 1] * n
    raw[6::16] = bytes(raw[6::16]).translate(VERSION_7)
    raw[8::16] = bytes(raw[8::16]).translate(VARIANT)
    made = raw.hex()
    return [made[i : i + 32] for i in range(0, 32 * n, 32)]


async def add_counts(conn: asyncpg.Connection, rows: Sequence[tuple[str, str, int]]) -> None:
    """Add each count to its roll-up row (created at zero when missing), in the caller's transaction."""
    if rows:
        await conn.execute(ADD_COUNTS, *_columns(rows, 3))


async def insert_funds(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        await conn.execute(INSERT_FUNDS, *_columns(rows, 9))


async def insert_stages(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        await conn.execute(INSERT_STAGES, *_columns(rows, 3))


async def insert_spending(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        await conn.execute(INSERT_SPENDING, *_columns(rows, 7))


async def add_spent(conn: asyncpg.Connection, amounts: dict[Any, Any]) -> None:
    if amounts:
        await conn.execute(ADD_SPENT, list(amounts), list(amounts.values()))


async def upsert_assets(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        await conn.execute(UPSERT_ASSETS, *_columns(rows, 8))


async def funds_with_stages(conn: Conn, ids: Sequence[uuid.UUID]) -> list[Fund]:
    """Fund projects by id with the stages they reached, in two statements (their pages after an import)."""
    rows = await conn.fetch(f"select {FUND_COLUMNS} from disclosure_funds where id = any($1::uuid[])", list(ids))
    reached: defaultdict[uuid.UUID, list[tuple[str, Any]]] = defaultdict(list)
    for s in await conn.fetch(
        "select fund_id, stage, entered_on from disclosure_fund_stages where fund_id = any($1::uuid[])", list(ids)
    ):
        reached[s["fund_id"]].append((s["stage"], s["entered_on"]))
    return [fund_of(r, sorted(reached[r["id"]], key=lambda s: STAGES.index(s[0]))) for r in rows]

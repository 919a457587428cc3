"""Bulk SQL of imports: many new rows in one pipelined statement (ids made by the caller, so nothing returns)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from core.disclosure.models import Item
from core.disclosure.store import ITEM_COLUMNS, item_of

# New items travel once, by binary COPY into a staging table of the transaction, and one statement inserts them and
# their first revisions from it: no array parameters to encode (the slow part in Python), no row sent twice.
STAGE_ITEMS = """
    create temp table if not exists disclosure_items_import (
        id uuid, external_id text, unit_code text, board text, category text, period text, period_start date,
        period_end date, dated date, title text, body text) on commit delete rows;
    create temp table if not exists disclosure_items_changes (like disclosure_items_import) on commit delete rows"""

INSERT_STAGED_ITEMS = """
    with new as (
        insert into disclosure_items (id, external_id, unit_code, board, category, period, period_start, period_end,
                                      dated, title, body, published_at, created_at, updated_at)
        select s.*, $1::timestamptz, $1::timestamptz, $1::timestamptz from pg_temp.disclosure_items_import s
        returning id, category, period, dated, title, body)
    insert into disclosure_item_revisions (item_id, revision, category, period, dated, title, body, attachments,
                                           reason, edited_by, edited_at)
    select id, 1, category, period, dated, title, body, '[]'::jsonb, '', $2, $1 from new"""

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


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


async def insert_items(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]], *, at: Any, by: str) -> None:
    """New published items (id, external id, unit, board, category, period, start, end, dated, title, body) and
    their first revisions, in the caller's transaction (the staging rows go with it)."""
    if not rows:
        return
    await conn.execute(STAGE_ITEMS)
    await conn.copy_records_to_table("disclosure_items_import", records=rows, schema_name="pg_temp")
    await conn.execute(INSERT_STAGED_ITEMS, at, by)


async def update_items(conn: asyncpg.Connection, rows: Sequence[Sequence[Any]], *, at: Any, by: str) -> list[Item]:
    """Changed items (rows shaped as for `insert_items`, with the items' ids): new content, the next revision."""
    if not rows:
        return []
    await conn.execute(STAGE_ITEMS)
    await conn.copy_records_to_table("disclosure_items_changes", records=rows, schema_name="pg_temp")
    return [item_of(r) for r in await conn.fetch(UPDATE_STAGED_ITEMS, at, by)]


def time_ordered_ids(n: int) -> list[uuid.UUID]:
    """UUIDv7-shaped ids (milliseconds first, then random): a batch's rows land next to each other in the primary
    key indexes instead of at random pages of a big index, and one urandom call serves the batch."""
    ms = time.time_ns() // 1_000_000
    noise = os.urandom(10 * n)
    out = []
    for i in range(0, 10 * n, 10):
        r = int.from_bytes(noise[i : i + 10], "big")
        out.append(uuid.UUID(int=(ms << 80) | (0x7 << 76) | ((r >> 68) << 64) | (0b10 << 62) | (r & ((1 << 62) - 1))))
    return out


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

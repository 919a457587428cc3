"""Bulk SQL of imports: many new rows in one pipelined statement (ids made by the caller, so nothing returns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

INSERT_ITEMS = """
    insert into disclosure_items (id, external_id, unit_code, board, category, period, period_start, period_end,
                                  dated, title, body, published_at, created_at, updated_at)
    select t.*, $12::timestamptz, $12::timestamptz, $12::timestamptz
    from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::date[],
                $9::date[], $10::text[], $11::text[]) as t"""

INSERT_REVISIONS = """
    insert into disclosure_item_revisions (item_id, revision, category, period, dated, title, body, attachments,
                                           reason, edited_by, edited_at)
    select t.id, 1, t.category, t.period, t.dated, t.title, t.body, '[]'::jsonb, '', $7, $8
    from unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[], $6::text[])
         as t (id, category, period, dated, title, body)"""

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
    their first revisions, from the same arrays (no read back)."""
    if not rows:
        return
    cols = _columns(rows, 11)
    await conn.execute(INSERT_ITEMS, *cols, at)
    await conn.execute(INSERT_REVISIONS, cols[0], cols[4], cols[5], cols[8], cols[9], cols[10], by, at)


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

"""SQL of fund projects, their stages and spending, and collective resources and assets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from core.disclosure.models import STAGES, Asset, Fund, Payments, Spending
from core.disclosure.store import Conn, apply_deltas, blobs_json, blobs_of

FUND_COLUMNS = "id, external_id, unit_code, name, category, source, amount, spent, stage, year"
SPENDING_COLUMNS = "id, external_id, fund_id, amount, spent_on, payee, note, vouchers"
SPENDING_NAMES = [c.strip() for c in SPENDING_COLUMNS.split(",")]
ASSET_COLUMNS = "id, external_id, unit_code, kind, name, category, area, value"

INSERT_FUND = f"""
    insert into disclosure_funds (external_id, unit_code, name, category, source, amount, stage, year)
    values ($1, $2, $3, $4, $5, $6, $7, $8)
    returning {FUND_COLUMNS}"""

UPDATE_FUND = f"""
    update disclosure_funds set name = $2, category = $3, source = $4, amount = $5, stage = $6, year = $7,
        updated_at = now() where id = $1 returning {FUND_COLUMNS}"""

UPSERT_ASSET = f"""
    insert into disclosure_assets (external_id, unit_code, kind, name, category, area, value)
    values ($1, $2, $3, $4, $5, $6, $7)
    on conflict (external_id) do update set unit_code = excluded.unit_code, kind = excluded.kind,
        name = excluded.name, category = excluded.category, area = excluded.area, value = excluded.value,
        updated_at = now()
    returning {ASSET_COLUMNS}"""


def fund_of(r: asyncpg.Record, stages: list[tuple[str, date]] | None = None) -> Fund:
    return Fund(**dict(r), stages=stages or [])


def spending_of(r: asyncpg.Record) -> Spending:
    return Spending(**{**{k: r[k] for k in SPENDING_NAMES}, "vouchers": blobs_of(r["vouchers"])})


async def get_fund(conn: Conn, fund_id: UUID, *, lock: bool = False) -> Fund | None:
    suffix = " for update" if lock else ""
    row = await conn.fetchrow(f"select {FUND_COLUMNS} from disclosure_funds where id = $1{suffix}", fund_id)
    if row is None:
        return None
    stages = await conn.fetch(
        "select stage, entered_on from disclosure_fund_stages where fund_id = $1 order by entered_on, stage", fund_id
    )
    return fund_of(row, sorted(((s["stage"], s["entered_on"]) for s in stages), key=lambda s: STAGES.index(s[0])))


async def funds_by_external_id(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, Fund]:
    rows = await conn.fetch(
        f"select {FUND_COLUMNS} from disclosure_funds where external_id = any($1::text[]) order by id for update",
        list(ids),
    )
    return {r["external_id"]: fund_of(r) for r in rows}


async def insert_fund(conn: asyncpg.Connection, v: dict[str, Any]) -> Fund:
    """A new project; UniqueViolationError when its external id is taken (the caller looked for it first)."""
    row = await conn.fetchrow(
        INSERT_FUND,
        v["external_id"],
        v["unit_code"],
        v["name"],
        v["category"],
        v["source"],
        v["amount"],
        v["stage"],
        v["year"],
    )
    return fund_of(row)


async def update_fund(conn: asyncpg.Connection, fund_id: UUID, v: dict[str, Any]) -> Fund:
    row = await conn.fetchrow(
        UPDATE_FUND, fund_id, v["name"], v["category"], v["source"], v["amount"], v["stage"], v["year"]
    )
    return fund_of(row)


async def enter_stage(conn: asyncpg.Connection, fund_id: UUID, stage: str, on: date) -> None:
    await conn.execute(
        """insert into disclosure_fund_stages (fund_id, stage, entered_on) values ($1, $2, $3)
           on conflict (fund_id, stage) do update set entered_on = excluded.entered_on""",
        fund_id,
        stage,
        on,
    )


async def delete_fund(conn: asyncpg.Connection, fund_id: UUID) -> None:
    await conn.execute("delete from disclosure_funds where id = $1", fund_id)


async def funds_page(conn: Conn, *, codes: tuple[str, str], stage: str | None, offset: int, limit: int) -> list[Fund]:
    """Projects of the villages whose codes lie in `codes` (a subtree), the newest year first (the order of
    disclosure_funds_order_idx, so a city's page reads 20 index entries instead of sorting every project)."""
    rows = await conn.fetch(
        f"""select {FUND_COLUMNS} from disclosure_funds
            where unit_code between $1 and $2 and ($3::text is null or stage = $3)
            order by year desc, unit_code, id offset $4 limit $5""",
        *codes,
        stage,
        offset,
        limit,
    )
    return [fund_of(r) for r in rows]


async def add_spending(conn: asyncpg.Connection, v: dict[str, Any]) -> Spending:
    row = await conn.fetchrow(
        f"""insert into disclosure_spending (external_id, fund_id, amount, spent_on, payee, note, vouchers)
            values ($1, $2, $3, $4, $5, $6, $7::jsonb) returning {SPENDING_COLUMNS}""",
        v["external_id"],
        v["fund_id"],
        v["amount"],
        v["spent_on"],
        v["payee"],
        v["note"],
        blobs_json(v["vouchers"]),
    )
    return spending_of(row)


async def spending_by_external_id(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, Spending]:
    rows = await conn.fetch(
        f"select {SPENDING_COLUMNS} from disclosure_spending where external_id = any($1::text[]) for update",
        list(ids),
    )
    return {r["external_id"]: spending_of(r) for r in rows}


async def replace_spending(conn: asyncpg.Connection, spending_id: UUID, v: dict[str, Any]) -> Spending:
    row = await conn.fetchrow(
        f"""update disclosure_spending set fund_id = $2, amount = $3, spent_on = $4, payee = $5, note = $6
            where id = $1 returning {SPENDING_COLUMNS}""",
        spending_id,
        v["fund_id"],
        v["amount"],
        v["spent_on"],
        v["payee"],
        v["note"],
    )
    return spending_of(row)


async def add_spent(conn: asyncpg.Connection, fund_id: UUID, amount: Decimal) -> Fund:
    row = await conn.fetchrow(
        f"update disclosure_funds set spent = spent + $2, updated_at = now() where id = $1 returning {FUND_COLUMNS}",
        fund_id,
        amount,
    )
    return fund_of(row)


async def payments_of_funds(conn: Conn, fund_ids: Sequence[UUID]) -> dict[UUID, Payments]:
    """Each project's spent total with its payments (the earliest first), in one statement: so in one snapshot."""
    columns = ", ".join(f"s.{name}" for name in SPENDING_NAMES)
    rows = await conn.fetch(
        f"""select f.id as project, f.spent as total, {columns}
            from disclosure_funds f left join disclosure_spending s on s.fund_id = f.id
            where f.id = any($1::uuid[]) order by s.spent_on, s.id""",
        list(fund_ids),
    )
    found: dict[UUID, Payments] = {}
    for r in rows:
        paid = found.setdefault(r["project"], Payments(spent=r["total"]))
        if r["id"] is not None:
            paid.items.append(spending_of(r))
    return found


async def assets_by_external_id(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, Asset]:
    rows = await conn.fetch(
        f"select {ASSET_COLUMNS} from disclosure_assets where external_id = any($1::text[]) order by id for update",
        list(ids),
    )
    return {r["external_id"]: Asset(**dict(r)) for r in rows}


async def upsert_asset(conn: asyncpg.Connection, v: dict[str, Any]) -> Asset:
    row = await conn.fetchrow(
        UPSERT_ASSET, v["external_id"], v["unit_code"], v["kind"], v["name"], v["category"], v["area"], v["value"]
    )
    return Asset(**dict(row))


async def every_part(conn: Conn) -> dict[str, list[asyncpg.Record]]:
    """Everything that counts in roll-ups (to rebuild and check them)."""
    items = await conn.fetch(
        """select unit_code, board, category from disclosure_items
           where published_at is not null and withdrawn_at is null"""
    )
    funds = await conn.fetch("select unit_code, category, source, stage, amount, spent from disclosure_funds")
    assets = await conn.fetch("select unit_code, kind, area, value from disclosure_assets")
    return {"items": items, "funds": funds, "assets": assets}


async def replace_rollups(conn: asyncpg.Connection, rows: Sequence[tuple[str, str, Any]]) -> None:
    """Every roll-up row replaced by `rows` (a rebuild; callers hold the advisory lock)."""
    await conn.execute("delete from disclosure_rollups")
    await apply_deltas(conn, rows)

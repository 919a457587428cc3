"""A small hierarchy of units for disclosure tests; each module takes its own 市 so roll-ups never mix."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from core.disclosure import UnitRow, add_units, get_rollup


def tree(city: str) -> list[UnitRow]:
    """A 市 (4 digits), two districts, three townships and four villages under it."""
    rows = [(f"{city}00000000", "测试市"), (f"{city}02000000", "一区"), (f"{city}05000000", "二区")]
    rows += [(f"{city}02001000", "甲镇"), (f"{city}02002000", "乙镇"), (f"{city}05001000", "丙街道")]
    rows += [(f"{city}02001201", "和平村"), (f"{city}02001202", "永安村"), (f"{city}02002201", "石桥村")]
    rows += [(f"{city}05001001", "金龙社区")]
    return [UnitRow(code=c, name=n) for c, n in rows]


async def load_tree(pool: asyncpg.Pool, city: str) -> list[str]:
    units = await add_units(pool=pool, rows=tree(city))
    return [u.code for u in units]


async def funds_at(pool: asyncpg.Pool, code: str) -> tuple[int, Decimal, Decimal]:
    """(count, amount, spent) of the fund projects of a unit and below."""
    row = (await get_rollup(pool=pool, code=code)).get("funds")
    return (row.count, row.amount, row.spent) if row else (0, Decimal(0), Decimal(0))


async def metric_at(pool: asyncpg.Pool, code: str, metric: str) -> int:
    row = (await get_rollup(pool=pool, code=code)).get(metric)
    return row.count if row else 0

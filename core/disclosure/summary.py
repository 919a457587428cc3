"""Reading roll-ups (one index range per unit, whatever the size below it), and rebuilding them from scratch."""

from __future__ import annotations

import asyncpg

from core.disclosure import funds_store as fs
from core.disclosure import store
from core.disclosure.hierarchy import check_code
from core.disclosure.models import RollupRow
from core.disclosure.rollups import Contribution, Vector, asset_part, fund_part, item_part, total


async def get_rollup(*, pool: asyncpg.Pool, code: str) -> dict[str, RollupRow]:
    """The unit's roll-up by metric: itself and everything below it."""
    return {r.metric: r for r in await store.rollup_of(pool, check_code(code))}


def _parts(found: dict[str, list[asyncpg.Record]]) -> list[Contribution]:
    parts = [item_part(r["unit_code"], r["board"], r["category"], True) for r in found["items"]]
    parts += [
        fund_part(
            r["unit_code"],
            category=r["category"],
            source=r["source"],
            stage=r["stage"],
            amount=r["amount"],
            spent=r["spent"],
        )
        for r in found["funds"]
    ]
    parts += [asset_part(r["unit_code"], kind=r["kind"], area=r["area"], value=r["value"]) for r in found["assets"]]
    return parts


async def computed_rollups(*, pool: asyncpg.Pool) -> dict[tuple[str, str], Vector]:
    """Every roll-up computed from the stored items, funds and assets (what the incremental rows must equal)."""
    return total(_parts(await fs.every_part(pool)))


async def stored_rollups(*, pool: asyncpg.Pool) -> dict[tuple[str, str], Vector]:
    rows = await pool.fetch("select unit_code, metric, count, amount, spent, area, value from disclosure_rollups")
    found = {
        (r["unit_code"], r["metric"]): Vector(r["count"], r["amount"], r["spent"], r["area"], r["value"]) for r in rows
    }
    return {k: v for k, v in found.items() if not v.is_zero()}


async def rebuild_rollups(*, pool: asyncpg.Pool) -> int:
    """Recompute every roll-up; writers wait on the table lock meanwhile, so none of their deltas is lost."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("lock table disclosure_rollups in exclusive mode")
        computed = total(_parts(await fs.every_part(conn)))
        await fs.replace_rollups(conn, [(u, m, v) for (u, m), v in sorted(computed.items())])
    return len(computed)

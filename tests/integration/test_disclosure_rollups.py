"""Units, items and fund projects through core.disclosure on the real Postgres and NATS: roll-ups correct at
village, township, district and city after inserts, edits, stage moves, spending and deletes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg
import pytest

from core import disclosure as dx
from core.bus import Bus
from core.errors import Conflict, Forbidden, Invalid
from tests.integration.disclosure_fixtures import funds_at, load_tree, metric_at

pytestmark = pytest.mark.integration

CITY = "3301"
C, D1, D2 = "330100000000", "330102000000", "330105000000"
T1, T2 = "330102001000", "330102002000"
V1, V2, V3, V4 = "330102001201", "330102001202", "330102002201", "330105001001"
NOW = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def units(pg_pool: asyncpg.Pool) -> list[str]:
    return await load_tree(pg_pool, CITY)


def fund(unit: str, amount: str, stage: str = "立项", source: str = "区") -> dx.FundDraft:
    return dx.FundDraft(
        unit_code=unit, name="道路硬化项目", category="基础设施", source=source, amount=amount, stage=stage, year=2024
    )


async def in_step(pool: asyncpg.Pool) -> None:
    """The stored roll-ups of this city equal a recount from scratch."""
    stored = {k: v for k, v in (await dx.stored_rollups(pool=pool)).items() if k[0].startswith(CITY)}
    computed = {k: v for k, v in (await dx.computed_rollups(pool=pool)).items() if k[0].startswith(CITY)}
    assert stored == computed


async def test_units_are_sites_and_a_village_under_the_wrong_township_adds_nothing(
    pg_pool: asyncpg.Pool, units: list[str]
) -> None:
    assert len(units) == 10
    site = await pg_pool.fetchrow("select level, enabled from site_list where id = $1", dx.site_id_of(V1))
    assert (site["level"], site["enabled"]) == ("村社区", False)
    wrong = [dx.UnitRow(code="330102001203", name="新村", parent_code=T2)]
    with pytest.raises(Invalid, match="sits under 乡镇街道 330102001000 by its code, not under 330102002000"):
        await dx.add_units(pool=pg_pool, rows=wrong)
    with pytest.raises(Invalid, match="its parent 330109001000 is not a known unit"):
        await dx.add_units(pool=pg_pool, rows=[dx.UnitRow(code="330109001201", name="孤村")])
    children, total = await dx.list_children(pool=pg_pool, parent=T1, offset=0, limit=10)
    assert ([u.code for u in children], total) == ([V1, V2], 2)


async def test_fund_rollups_at_every_level_after_inserts_edits_moves_spending_and_deletes(
    pg_pool: asyncpg.Pool, units: list[str]
) -> None:
    today = date(2024, 6, 1)
    f1 = await dx.save_fund(pool=pg_pool, draft=fund(V1, "100000"), today=today)
    f2 = await dx.save_fund(pool=pg_pool, draft=fund(V2, "50000", "实施", "镇"), today=today)
    await dx.save_fund(pool=pg_pool, draft=fund(V3, "30000"), today=today)
    assert await funds_at(pg_pool, V1) == (1, Decimal(100000), 0)
    assert await funds_at(pg_pool, T1) == (2, Decimal(150000), 0)
    assert await funds_at(pg_pool, D1) == (3, Decimal(180000), 0)
    assert await funds_at(pg_pool, C) == (3, Decimal(180000), 0)
    assert await funds_at(pg_pool, D2) == (0, 0, 0)

    await dx.save_fund(pool=pg_pool, draft=fund(V1, "120000"), today=today, fund_id=f1.id)  # amount changed
    assert await funds_at(pg_pool, C) == (3, Decimal(200000), 0)
    moved = await dx.move_stage(pool=pg_pool, fund_id=f1.id, stage="实施", on=today)
    assert [s for s, _ in moved.stages] == ["立项", "实施"]
    assert await metric_at(pg_pool, C, "funds:stage:实施") == 2
    assert await metric_at(pg_pool, T2, "funds:stage:立项") == 1
    with pytest.raises(Invalid, match="stages only move on"):
        await dx.move_stage(pool=pg_pool, fund_id=f1.id, stage="公示", on=today)

    await dx.add_spending(pool=pg_pool, fund_id=f2.id, draft=dx.SpendingDraft(amount="20000", spent_on=today))
    assert await funds_at(pg_pool, T1) == (2, Decimal(170000), Decimal(20000))
    with pytest.raises(Invalid, match="past its amount 50000"):
        await dx.add_spending(pool=pg_pool, fund_id=f2.id, draft=dx.SpendingDraft(amount="30000.01", spent_on=today))
    with pytest.raises(Invalid, match="below what the project spent already"):
        await dx.save_fund(pool=pg_pool, draft=fund(V2, "10000", "实施", "镇"), today=today, fund_id=f2.id)
    with pytest.raises(Forbidden, match="belongs to unit 330102001202"):
        await dx.delete_fund(pool=pg_pool, fund_id=f2.id, unit_code=V1)

    await dx.delete_fund(pool=pg_pool, fund_id=f2.id, unit_code=V2)
    assert await funds_at(pg_pool, V2) == (0, 0, 0)
    assert await funds_at(pg_pool, C) == (2, Decimal(150000), 0)
    assert await metric_at(pg_pool, C, "funds:source:镇") == 0
    await in_step(pg_pool)


async def test_concurrent_changes_up_the_same_chain_lose_nothing(pg_pool: asyncpg.Pool, units: list[str]) -> None:
    today = date(2024, 6, 2)
    before = await funds_at(pg_pool, C)
    await asyncio.gather(*(dx.save_fund(pool=pg_pool, draft=fund(v, "1000"), today=today) for v in [V1, V3, V4] * 6))
    after = await funds_at(pg_pool, C)
    assert (after[0] - before[0], after[1] - before[1]) == (18, Decimal(18000))
    await in_step(pg_pool)


async def test_items_count_once_published_and_revisions_are_kept(
    pg_pool: asyncpg.Pool, bus: Bus, units: list[str]
) -> None:
    draft = dx.ItemDraft(
        unit_code=V4, category="财务", period="2024-05", dated=date(2024, 5, 31), title="五月收支", body="收入 1,200 元"
    )
    metric = "items:基层公开/财务"
    item = await dx.create_item(pool=pg_pool, bus=bus, draft=draft, publish=False, by="t", now=NOW)
    assert await metric_at(pg_pool, D2, metric) == 0
    item = await dx.set_published(pool=pg_pool, bus=bus, item_id=item.id, publish=True, now=NOW)
    assert [await metric_at(pg_pool, u, metric) for u in (V4, "330105001000", D2, C)] == [1, 1, 1, 1]

    changed = dx.ItemDraft(**{**vars(draft), "body": "收入 1,300 元"})
    with pytest.raises(Invalid, match="this item is published: say why"):
        await dx.edit_item(pool=pg_pool, bus=bus, item_id=item.id, draft=changed, reason="", by="t", now=NOW)
    edited = await dx.edit_item(
        pool=pg_pool, bus=bus, item_id=item.id, draft=changed, reason="金额更正", by="t", now=NOW
    )
    assert edited.revision == 2
    revisions = await dx.item_revisions(pool=pg_pool, item_id=item.id)
    assert [(r.revision, r.body, r.reason) for r in revisions] == [
        (2, "收入 1,300 元", "金额更正"),
        (1, "收入 1,200 元", ""),
    ]

    moved = dx.ItemDraft(**{**vars(changed), "category": "党务", "period": "2024Q2"})
    await dx.edit_item(pool=pg_pool, bus=bus, item_id=item.id, draft=moved, reason="归类", by="t", now=NOW)
    assert (await metric_at(pg_pool, C, metric), await metric_at(pg_pool, C, "items:基层公开/党务")) == (0, 1)
    await dx.set_published(pool=pg_pool, bus=bus, item_id=item.id, publish=False, now=NOW)
    assert await metric_at(pg_pool, C, "items") == 0
    with pytest.raises(Conflict, match="was withdrawn"):
        await dx.set_published(pool=pg_pool, bus=bus, item_id=item.id, publish=True, now=NOW)
    late = dx.ItemDraft(**{**vars(draft), "dated": date(2024, 6, 1)})
    with pytest.raises(Invalid, match="outside the period 2024-05"):
        await dx.create_item(pool=pg_pool, bus=bus, draft=late, publish=True, by="t", now=NOW)
    await in_step(pg_pool)


async def test_a_units_own_items_and_the_items_below_it_are_counted_apart(
    pg_pool: asyncpg.Pool, bus: Bus, units: list[str]
) -> None:
    """A township's page lists its own items; with `below` its villages' too. The totals come from the roll-ups (the
    township's less its villages'), so they must match the rows listed, by category, drafts left out."""
    t3 = "330105001000"

    async def add(unit: str, category: str, title: str, publish: bool = True) -> None:
        draft = dx.ItemDraft(
            unit_code=unit, category=category, period="2024-04", dated=date(2024, 4, 30), title=title, body="公开"
        )
        await dx.create_item(pool=pg_pool, bus=bus, draft=draft, publish=publish, by="t", now=NOW)

    await add(t3, "财务", "镇财务四月")
    await add(t3, "党务", "镇党务四月")
    await add(t3, "财务", "镇财务草稿", publish=False)
    await add(V4, "财务", "村财务四月")

    async def page(unit: str, below: bool, category: str | None = None) -> tuple[list[str], int]:
        found = await dx.list_items(pool=pg_pool, unit=unit, below=below, category=category, offset=0, limit=50)
        return sorted(i.title for i in found.items), found.total

    assert await page(t3, below=False) == (["镇党务四月", "镇财务四月"], 2)
    assert await page(t3, below=False, category="财务") == (["镇财务四月"], 1)
    assert await page(t3, below=True, category="财务") == (["村财务四月", "镇财务四月"], 2)
    assert await page(V4, below=False, category="财务") == (["村财务四月"], 1)
    counted = await dx.list_items(pool=pg_pool, unit=t3, below=False, period="2024-04", offset=0, limit=1)
    assert (len(counted.items), counted.total) == (1, 2)  # with a period the rows are counted
    await in_step(pg_pool)


async def test_a_rebuild_repairs_a_rollup_that_went_wrong(pg_pool: asyncpg.Pool, units: list[str]) -> None:
    await pg_pool.execute("update disclosure_rollups set count = count + 5 where unit_code = $1", C)
    with pytest.raises(AssertionError):
        await in_step(pg_pool)
    assert await dx.rebuild_rollups(pool=pg_pool) > 0
    await in_step(pg_pool)

"""Published items become documents of kind `disclosure` on their unit's site (scene 基层公开; facets site and
level); a withdrawn item's document goes. Freshness findings name the villages whose categories went quiet."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from core import disclosure as dx
from core.bus import Bus
from core.disclosure.freshness import stale_villages, unit_freshness
from core.documents import get_document
from core.search.models import SearchRequest
from core.search.pipeline import SCENES
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.disclosure_fixtures import load_tree
from tests.integration.search_fixtures import running, site_consumers, site_hits
from tests.polling import eventually

pytestmark = pytest.mark.integration

C, T1 = "330400000000", "330402001000"
V1, V2, V3 = "330402001201", "330402001202", "330402002201"
NOW = datetime(2024, 6, 10, 2, 0, tzinfo=UTC)
BASE = "https://jc.example.gov.cn"


@pytest.fixture(scope="module")
async def units(pg_pool: asyncpg.Pool) -> list[str]:
    return await load_tree(pg_pool, "3304")


async def test_a_published_item_is_searchable_on_its_units_site_and_goes_when_withdrawn(
    pg_pool: asyncpg.Pool, bus: Bus, units: list[str], tmp_path: Path
) -> None:
    site = dx.site_id_of(V1)
    reader = TantivyEngine(tmp_path)
    await reader.open()
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), site)
    draft = dx.ItemDraft(
        unit_code=V1,
        category="财务",
        period="2024-05",
        dated=date(2024, 5, 31),
        title="五月集体收支明细",
        body="道路维修支出 12,000 元",
    )
    async with running(bus, indexer, projector):
        item = await dx.create_item(pool=pg_pool, bus=bus, draft=draft, publish=True, by="t", now=NOW, base_url=BASE)
        found = await eventually(lambda: site_hits(reader, site, "道路维修"), lambda r: r.total == 1)
        url = f"{BASE}/disclosure/items/{item.id}"
        assert [h.url for h in found.hits] == [url]
        facets = await reader.search(
            SearchRequest(query="道路维修", filters={"kind": ["disclosure"]}, facets=["site", "level"], highlight=False)
        )
        assert dict(facets.facets["level"]).get("村社区") and dict(facets.facets["site"]).get(site) == 1
        doc = await get_document(pg_pool, url=url)
        assert doc.kind == "disclosure" and "测试市 一区 甲镇 和平村" in doc.text
        await dx.set_published(pool=pg_pool, bus=bus, item_id=item.id, publish=False, now=NOW, base_url=BASE)
        await eventually(lambda: site_hits(reader, site, "道路维修"), lambda r: r.total == 0)
    assert ("disclosure", "基层公开", ("disclosure",)) in SCENES


async def test_imported_fund_projects_are_searchable_at_once_with_their_imported_spending(
    pg_pool: asyncpg.Pool, bus: Bus, units: list[str], tmp_path: Path
) -> None:
    site = dx.site_id_of(V3)
    reader = TantivyEngine(tmp_path)
    await reader.open()
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), site)
    funds, spending = tmp_path / "funds.csv", tmp_path / "spending.csv"
    funds.write_text(
        f"外部编号,单位代码,项目名称,项目类别,资金来源,金额,阶段,年度\nsf1,{V3},便民桥修缮,基础设施,区级,200000,实施,2024\n"
    )
    spending.write_text("外部编号,项目编号,支出金额,支出日期,收款方\nsp1,sf1,50000,2024-05-02,施工队\n")
    async with running(bus, indexer, projector):
        assert (await dx.import_file(pool=pg_pool, bus=bus, path=funds, now=NOW, base_url=BASE)).created == 1
        found = await eventually(lambda: site_hits(reader, site, "便民桥"), lambda r: r.total == 1)
        fund_id = await pg_pool.fetchval("select id from disclosure_funds where external_id = 'sf1'")
        assert [h.url for h in found.hits] == [f"{BASE}/disclosure/funds/{fund_id}"]
        assert (await dx.import_file(pool=pg_pool, bus=bus, path=spending, now=NOW, base_url=BASE)).created == 1
        text = await eventually(
            lambda: pg_pool.fetchval("select text from documents where url = $1", found.hits[0].url),
            lambda t: "已支出 50,000.00 元" in t,
        )
        assert "结余 150,000.00 元" in text and "石桥村" in text


async def test_freshness_findings_per_unit_and_under_a_township(
    pg_pool: asyncpg.Pool, bus: Bus, settings: Settings, units: list[str]
) -> None:
    rules = dataclasses.replace(settings, disclosure_freshness_days="财务=31,村务=92")
    for unit, dated in ((V2, date(2024, 6, 1)), (V3, date(2024, 3, 1))):
        draft = dx.ItemDraft(unit_code=unit, category="财务", period="2024", dated=dated, title="收支", body="")
        await dx.create_item(
            pool=pg_pool,
            bus=bus,
            draft=draft,
            publish=True,
            by="t",
            now=datetime.combine(dated, datetime.min.time(), UTC),
        )
    fresh = await unit_freshness(pool=pg_pool, settings=rules, code=V2, name="永安村", now=NOW)
    assert [(f.category, f.days_since, f.stale) for f in fresh] == [("村(居)务", None, True), ("财务", 9, False)]
    found, total = await stale_villages(pool=pg_pool, settings=rules, under=T1, now=NOW, offset=0, limit=10)
    assert [(f.unit_code, f.category) for f in found] == [(V1, "村(居)务"), (V1, "财务"), (V2, "村(居)务")]
    assert total == 3  # V1's item was withdrawn above; V3 is under another township
    later, _ = await stale_villages(
        pool=pg_pool, settings=rules, under=C, now=NOW + timedelta(days=30), offset=0, limit=20
    )
    assert (V2, "财务") in [(f.unit_code, f.category) for f in later]

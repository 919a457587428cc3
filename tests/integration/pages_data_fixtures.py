"""Datasets and units for the open-data and disclosure pages (tests/integration/test_pages_data.py and the
browser's portal server): a department with two datasets (one with a loaded table whose rows the quality review
flags, one with a hostile title) and a unit tree with two published items and a fund project in one village."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from core import disclosure as dx
from core.bus import Bus
from core.opendata import resources, service
from core.opendata.tabular import read_table
from core.settings import Settings
from tests.integration.disclosure_fixtures import load_tree

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"公交"'
NOW = datetime(2024, 6, 5, 9, 0, tzinfo=UTC)


@dataclasses.dataclass
class Seeded:
    url: str
    air: str  # the air-quality dataset's name
    hostile: str  # the hostile-titled dataset's name
    resource: str  # the air-quality table's resource id
    org: str  # the department's name (facet value)


async def seed_datasets(pool: asyncpg.Pool, settings: Settings, tag: str) -> Seeded:
    org = f"pd-{tag}"
    await service.ensure_domains(pool, settings)
    await service.ensure_organization(pool, name=org, title="页面测试生态环境局")
    common = {"owner_org": org, "license_id": "CC-BY-4.0", "update_frequency": "每日", "version": "2.1"}
    air = await service.create_dataset(
        pool=pool,
        bus=None,
        settings=settings,
        data={
            **common,
            "name": f"pd-air-{tag}",
            "title": f"空气质量日报{tag}",
            "notes": "各监测站每日空气质量指数。",
            "groups": [{"name": "environment"}],
            "maintainer": "监测科",
            "contact_phone": "0451-12345678",
        },
    )
    hostile = await service.create_dataset(
        pool=pool, bus=None, settings=settings, data={**common, "name": f"pd-bad-{tag}", "title": HOSTILE + tag}
    )
    csv = "监测站,AQI\n道里,51\n南岗,\n香坊,88\n南岗,\n".encode()  # an empty cell and a duplicate row to find
    rid = await resources.add_resource(
        pool=pool,
        bus=None,
        settings=settings,
        dataset_ref=air.id,
        values={"name": "空气质量表", "format": "CSV", "url": "https://data.example.gov.cn/air.csv", "size": len(csv)},
        tabular=resources.Tabular(table=read_table(csv, "CSV")),
    )
    return Seeded(url="", air=air.name, hostile=hostile.name, resource=rid, org=org)


async def seed_units(pool: asyncpg.Pool, bus: Bus, city: str) -> None:
    """The tree of tests/integration/disclosure_fixtures.py under `city`, with items and a fund in 和平村."""
    await load_tree(pool, city)
    village = f"{city}02001201"
    for month, title in ((4, "四月村务收支"), (5, "五月村务收支")):
        draft = dx.ItemDraft(
            unit_code=village,
            category="财务",
            period=f"2024-{month:02d}",
            dated=date(2024, month, 28),
            title=title,
            body=f"{month}月收入 1,200 元",
        )
        await dx.create_item(pool=pool, bus=bus, draft=draft, publish=True, by="t", now=NOW)
    fund = dx.FundDraft(
        unit_code=village,
        name="道路硬化项目",
        category="基础设施",
        source="区",
        amount=Decimal(120000),
        stage="立项",
        year=2024,
    )
    await dx.save_fund(pool=pool, draft=fund, today=NOW.date())

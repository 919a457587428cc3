"""Catalogue datasets reach the site-group search: each change is a `dataset` document (scene 开放数据) that the
real search projector indexes with its department and domain as facets; a deleted dataset leaves the index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus
from core.opendata import service
from core.search import SearchRequest
from core.search.pipeline import SCENES
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.search_fixtures import running, site_consumers, site_hits
from tests.polling import eventually

pytestmark = pytest.mark.integration


async def test_datasets_are_searchable(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, tmp_path: Path) -> None:
    site = "opendata-search"
    opendata = dataclasses.replace(settings, public_url="http://opendata-search.test", opendata_site=site)
    await service.ensure_domains(pg_pool, opendata)
    await service.ensure_organization(pg_pool, name="search-test", title="搜索测试局")
    reader = TantivyEngine(tmp_path)
    await reader.open()
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), site)
    package = {
        "name": "search-parking",
        "title": "公共停车场泊位信息",
        "notes": "全市公共停车场的位置与泊位数",
        "owner_org": "search-test",
        "groups": [{"name": "transport"}],
        "resources": [{"name": "泊位", "format": "CSV", "url": "https://files.example/p.csv"}],
    }
    async with running(bus, indexer, projector):
        await service.create_dataset(pool=pg_pool, bus=bus, settings=opendata, data=package)
        found = await eventually(lambda: site_hits(reader, site, "停车场"), lambda r: r.total == 1)
        hit = found.hits[0]
        assert hit.url == "http://opendata-search.test/dataset/search-parking" and hit.kind == "dataset"
        assert ("dataset", "开放数据", ("dataset",)) in SCENES
        facets = await reader.search(
            SearchRequest(query="", filters={"site": [site]}, facets=["department", "theme", "kind"], limit=5)
        )
        assert facets.facets["department"] == [("搜索测试局", 1)] and facets.facets["theme"] == [("道路交通", 1)]
        await service.delete_dataset(pool=pg_pool, bus=bus, settings=opendata, id_or_name="search-parking")
        await eventually(lambda: site_hits(reader, site, "停车场"), lambda r: r.total == 0)
    await reader.close()

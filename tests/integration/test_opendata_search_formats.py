"""The site-wide search (GraphQL `search`, scene 开放数据) filters and facets datasets by their resources'
formats: a dataset indexed by the real search projector into the API's tantivy index is found by `format`."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import Bus
from core.opendata import service
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql
from tests.integration.search_fixtures import running, site_consumers
from tests.polling import eventually

pytestmark = pytest.mark.integration

SITE = "opendata-formats"
SEARCH = """query($filters: SearchFilters) {
  search(query: "停车场", filters: $filters) {
    total hits { title kind } scenes { name count } facets { field values { value count } }
  }
}"""


def _package(name: str, title: str, formats: list[str]) -> dict[str, Any]:
    resources = [
        {"name": f"{title} {f}", "format": f, "url": f"https://files.example/{name}.{f.lower()}"} for f in formats
    ]
    return {
        "name": name,
        "title": title,
        "notes": "全市公共停车场的位置与泊位数",
        "owner_org": "formats-test",
        "groups": [{"name": "transport"}],
        "resources": resources,
    }


async def _search(api_url: str, **filters: list[str]) -> dict[str, Any]:
    out = await gql(api_url, SEARCH, {"filters": {"site": [SITE], **filters}})
    assert not out.get("errors"), out
    return dict(out["data"]["search"])


def _facet(result: dict[str, Any], field: str) -> dict[str, int]:
    return {v["value"]: v["count"] for f in result["facets"] if f["field"] == field for v in f["values"]}


async def test_datasets_are_filtered_and_faceted_by_format(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> None:
    opendata = dataclasses.replace(settings, public_url="http://opendata-formats.test", opendata_site=SITE)
    await service.ensure_domains(pg_pool, opendata)
    await service.ensure_organization(pg_pool, name="formats-test", title="格式测试局")
    _, projector = site_consumers(pg_pool, bus, TantivyEngine(settings.data_dir), SITE)  # the API's index
    async with serve_api(settings) as api_url, running(bus, projector):  # facets are deeper than api_url allows
        for package in (
            _package("formats-parking", "公共停车场泊位", ["CSV", "GeoJSON"]),
            _package("formats-parking-report", "停车场建设年报", ["PDF"]),
        ):
            await service.create_dataset(pool=pg_pool, bus=bus, settings=opendata, data=package)
        every = await eventually(lambda: _search(api_url), lambda r: r["total"] == 2, timeout=15)
        await _check(api_url, every)
        # the reference portal's search page offers the same facet, labelled, and its links filter
        portal = api_url.removesuffix("/graphql") + "/search"
        async with aiohttp.ClientSession() as session:
            async with session.get(portal, params={"q": "停车场", "site": SITE}) as resp:
                page = await resp.text()
            assert resp.status == 200 and "<h3>格式</h3>" in page and "format=CSV" in page
            async with session.get(portal, params=[("q", "停车场"), ("site", SITE), ("format", "PDF")]) as resp:
                only = await resp.text()
            shown = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<h3><a[^>]*>(.*?)</a></h3>", only)]
            assert shown == ["停车场建设年报"]  # titles come highlighted: <em>停车场</em>建设年报


async def _check(api_url: str, every: dict[str, Any]) -> None:
    assert _facet(every, "format") == {"CSV": 1, "GEOJSON": 1, "PDF": 1}
    assert _facet(every, "kind") == {"dataset": 2} and ("开放数据", 2) in [
        (s["name"], s["count"]) for s in every["scenes"]
    ]

    csv = await _search(api_url, format=["csv"])  # any case, as package_search's res_format
    assert [h["title"] for h in csv["hits"]] == ["公共停车场泊位"] and csv["total"] == 1
    assert _facet(csv, "format") == {"CSV": 1, "GEOJSON": 1}
    assert await _search(api_url, format=["CSV"]) == csv  # the facet's own (upper-case) value finds the same
    both = await _search(api_url, format=["GeoJSON", "PDF"])  # values of one field are OR-ed
    assert both["total"] == 2

    unknown = await _search(api_url, format=["SHP"])  # like any other facet value nothing has: no hits
    assert unknown["total"] == 0 and unknown["hits"] == []
    wrong = await gql(api_url, SEARCH, {"filters": {"fields": [{"field": "formats", "values": ["CSV"]}]}})
    assert "unknown filter 'formats'" in wrong["errors"][0]["message"]

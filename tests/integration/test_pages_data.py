"""The open-data and grassroots-disclosure pages over HTTP (no browser): what a visitor reads on /data, a dataset's
page (metadata, download links, preview, quality findings), /units and a unit's page (breadcrumb, children, boards,
funds, roll-up, items), a hostile title shown as text, the CSP, and clear 404 and 400 pages."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from core.bus import Bus
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.pages_data_fixtures import Seeded, seed_datasets, seed_units

pytestmark = pytest.mark.integration

CITY = "3307"  # a 市 of its own: roll-ups of other modules' units never mix in


@pytest.fixture(scope="module")
async def seeded(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[Seeded]:
    tag = secrets.token_hex(3)
    mine = dataclasses.replace(settings, opendata_site=f"opendata-pd-{tag}")
    found = await seed_datasets(pg_pool, mine, tag)
    await seed_units(pg_pool, bus, CITY)
    async with serve_api(mine) as url:
        yield dataclasses.replace(found, url=url)


async def _get(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as s, s.get(url, allow_redirects=False) as r:
        return r.status, dict(r.headers), await r.text()


def _text(html: str) -> str:
    """What a reader sees: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_catalogue_searches_filters_and_links_to_a_dataset(seeded: Seeded) -> None:
    status, headers, html = await _get(f"{seeded.url}/data?department={seeded.org}")
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    seen = _text(html)
    assert "共 2 个数据集" in seen and "页面测试生态环境局（2）" in seen, seen
    assert f'href="/data/{seeded.air}"' in html
    status, _, html = await _get(f"{seeded.url}/data?q=空气质量&department={seeded.org}")
    assert status == 200 and "共 1 个数据集" in _text(html) and f"/data/{seeded.hostile}" not in html
    _, _, home = await _get(f"{seeded.url}/")
    assert 'href="/data"' in home and 'href="/units"' in home


async def test_a_dataset_page_has_metadata_downloads_preview_and_quality(seeded: Seeded) -> None:
    status, headers, html = await _get(f"{seeded.url}/data/{seeded.air}")
    assert status == 200 and "unsafe-inline" not in headers["Content-Security-Policy"]
    seen = _text(html)
    for shown in ("页面测试生态环境局", "生态环境", "CC-BY-4.0", "每日", "监测科 0451-12345678", "2.1", "空气质量表"):
        assert shown in seen, shown
    assert 'href="https://data.example.gov.cn/air.csv"' in html
    assert f'href="/datastore/dump/{seeded.resource}"' in html
    assert re.search(r"<th scope=\"col\">监测站</th>\s*<th scope=\"col\">AQI</th>", html)
    assert "<td>道里</td><td>51</td>" in html and "<td>香坊</td><td>88</td>" in html
    assert "缺失值" in seen and "重复行" in seen, seen
    async with aiohttp.ClientSession() as s, s.get(f"{seeded.url}/datastore/dump/{seeded.resource}") as r:
        assert r.status == 200 and "道里" in await r.text()  # the link downloads the table
    excel = re.search(r'href="([^"]+)"[^>]*>导出 CSV（Excel）<', html)
    assert excel is not None, "a download Excel opens without garbling the Chinese"
    async with aiohttp.ClientSession() as s, s.get(seeded.url + excel.group(1).replace("&amp;", "&")) as r:
        assert (await r.read()).startswith("\ufeff_id".encode())


async def test_a_hostile_dataset_title_is_text(seeded: Seeded) -> None:
    for path in (f"/data/{seeded.hostile}", f"/data?department={seeded.org}"):
        status, _, html = await _get(seeded.url + path)
        assert status == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html, path
        assert "<script>alert" not in html and "<img src=x" not in html, path


async def test_a_unit_page_shows_its_place_boards_funds_and_items(seeded: Seeded) -> None:
    status, _, html = await _get(f"{seeded.url}/units/{CITY}02001000")  # 甲镇
    assert status == 200
    seen = _text(html)
    assert f'href="/units/{CITY}00000000"' in html and f'href="/units/{CITY}02000000"' in html  # breadcrumb
    assert f'href="/units/{CITY}02001201"' in html and "和平村" in seen and "永安村" in seen  # children
    assert "五月村务收支" in seen and "四月村务收支" in seen and "全部公开事项（2）" in seen
    assert "道路硬化项目" in seen and "金额 120,000.00 元" in seen and "立项" in seen
    assert "公开事项 2 条" in seen and "专项资金项目 1 个" in seen, seen
    status, _, html = await _get(f"{seeded.url}/units/{CITY}02001000?page=2")  # past the last item: an empty page
    assert status == 200 and "暂无公开事项" in html and 'rel="prev"' in html and 'rel="next"' not in html
    status, _, html = await _get(f"{seeded.url}/units")
    assert status == 200 and f'href="/units/{CITY}00000000"' in html


async def test_unknown_ids_and_bad_pages_get_clear_errors(seeded: Seeded) -> None:
    cases = {
        "/data/no-such-dataset": (404, "没有找到这个数据集"),
        "/units/999999999999": (404, "没有这个单位"),
        "/units/abc": (404, "没有这个单位"),
        "/data?page=abc": (400, "page 必须是"),
        "/data?page=0": (400, "page 必须是"),
        f"/units/{CITY}00000000?page=-1": (400, "page 必须是"),
        "/units?page=99999999999": (400, "page 必须是"),
    }
    for path, (code, message) in cases.items():
        status, headers, html = await _get(seeded.url + path)
        assert (status, message in html) == (code, True), (path, status, _text(html)[:300])
        assert "default-src 'none'" in headers["Content-Security-Policy"]

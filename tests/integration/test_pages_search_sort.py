"""The portal's search page keeps the order a reader chose: a 排序 switch, and paging, scenes and facets that keep it.

The page read `sort` but showed no way to choose it, and its 下一页 link dropped it: page 2 of 最新发布 was page 2 of
the relevance order. A page of 0 or below served page 1, where /data and /units answer 400.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import aiohttp
import asyncpg
import pytest

from core.search import IndexDoc
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from core.sites import parse_sites, sync_sites
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql
from tests.polling import eventually

pytestmark = pytest.mark.integration

SITE = "sort-portal"
WORD = "蝾螈保护"
FIRST = date(2020, 1, 6)


@pytest.fixture(scope="module")
async def portal(settings: Settings) -> AsyncIterator[str]:
    async with serve_api(settings) as url:
        yield url


@pytest.fixture(scope="module")
async def twelve(portal: str, settings: Settings, pg_pool: asyncpg.Pool) -> list[str]:
    """Twelve documents holding WORD, published a week apart; their ids, newest first."""
    await sync_sites(
        pg_pool,
        parse_sites(f"sites:\n  - {{id: {SITE}, name: 排序测试站, level: 市, start_urls: ['http://127.0.0.1:1/']}}\n"),
    )
    docs = [
        IndexDoc(
            id=f"sort-{n:02d}",
            url=f"http://127.0.0.1:1/sort/{n}.html",
            title=f"{WORD}工作通报第{n}期",
            kind="news",
            text=f"{WORD} 通报",
            site=SITE,
            published_at=FIRST + timedelta(weeks=n),
        )
        for n in range(12)
    ]
    writer = TantivyEngine(settings.data_dir)
    await writer.open()
    await writer.upsert(docs)
    await writer.close()
    await eventually(
        lambda: gql(portal, f'{{ search(query: "{WORD}") {{ total }} }}'),
        lambda out: out["data"]["search"]["total"] == 12,
        timeout=15,
    )
    return [d.id for d in reversed(docs)]


async def _page(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as s, s.get(url) as r:
        return r.status, await r.text()


def _hits(page: str) -> list[str]:
    return re.findall(r'data-document="([^"]+)"', page)


def _link(page: str, rel: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    assert found, rel
    return html.unescape(found.group(1))


async def test_newest_first_holds_across_pages_scenes_and_facets(portal: str, twelve: list[str]) -> None:
    status, first = await _page(f"{portal}/search?q={WORD}&sort=date_desc")
    assert status == 200 and _hits(first) == twelve[:10]
    chosen = re.search(r'<a href="[^"]*" aria-current="true">最新发布</a>', first)
    assert chosen and '<nav class="scenes" aria-label="排序">' in first
    following = _link(first, "next")
    assert "sort=date_desc" in following and "page=2" in following
    status, second = await _page(portal + following)
    assert status == 200 and _hits(second) == twelve[10:]
    assert "sort=date_desc" in _link(second, "prev")
    news_tab = re.search(r'href="(/search\?[^"]*kind=news[^"]*)"', first)
    assert news_tab and "sort=date_desc" in html.unescape(news_tab.group(1))
    status, oldest = await _page(f"{portal}/search?q={WORD}&sort=date_asc")
    assert _hits(oldest) == list(reversed(twelve))[:10]


async def test_a_page_below_one_is_refused(portal: str, twelve: list[str]) -> None:
    for page in ("0", "-3"):
        status, body = await _page(f"{portal}/search?q={WORD}&page={page}")
        assert status == 400 and "page 必须是正整数" in body, page

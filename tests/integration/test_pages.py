"""The portal's pages over HTTP (no browser): security headers, escaping, the elderly-mode cookie, clear errors,
and the same limits as any GraphQL client (rate limit per address, cost budget)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from core.bus import Bus
from core.documents import get_document
from core.documents.importer import import_documents
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site

pytestmark = pytest.mark.integration

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"公告"'


@pytest.fixture(scope="module")
async def hostile(pg_pool: asyncpg.Pool, bus: Bus) -> tuple[str, str]:
    """A site and a document whose title and text are markup (the document's id)."""
    site = f"pages-{secrets.token_hex(3)}"
    await add_site(
        pg_pool, {"id": site, "name": "页面测试站", "level": "市", "start_urls": [f"https://{site}.gov.cn/"]}
    )
    url = f"https://{site}.gov.cn/a/1.html"
    line = json.dumps({"url": url, "site": site, "title": HOSTILE, "text": "正文<script>x()</script>"})
    await import_documents(pg_pool, bus, [line], wait=False)
    return site, (await get_document(pg_pool, url=url)).id


@pytest.fixture(scope="module")
async def portal(settings: Settings) -> AsyncIterator[str]:
    async with serve_api(settings) as url:
        yield url


async def _get(url: str, **kwargs: object) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as s, s.get(url, allow_redirects=False, **kwargs) as r:  # type: ignore[arg-type]
        return r.status, dict(r.headers), await r.text()


async def test_every_page_sends_a_strict_csp(portal: str, hostile: tuple[str, str]) -> None:
    site, doc = hostile
    pages = ("/", "/search?q=公告", f"/documents/{doc}", "/ask", f"/screen/{site}", "/documents/nope")
    for path in (*pages, "/halls/demo-budongchan", "/signout", "/me"):
        status, headers, html = await _get(portal + path)
        assert status in (200, 303, 404), (path, status)
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp and headers["X-Content-Type-Options"] == "nosniff", path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path


async def test_crawled_markup_is_escaped(portal: str, hostile: tuple[str, str]) -> None:
    _, doc = hostile
    status, _, html = await _get(f"{portal}/documents/{doc}")
    assert status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<script>x()" not in html


async def test_the_elderly_mode_is_linkable_and_remembered(portal: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:  # unsafe: an IP host
        async with s.get(f"{portal}/?elderly=1") as r:
            html = await r.text()  # the tag also says whether the server can read aloud (espeak-ng installed)
            assert r.status == 200 and re.search(r'<html lang="zh-CN" class="elderly"[ >]', html), html[:300]
            assert r.cookies["yw_elderly"].value == "1"
        async with s.get(f"{portal}/search") as r:  # the cookie is sent back: still on
            assert 'class="elderly"' in await r.text()
        async with s.get(f"{portal}/search?elderly=0") as r:
            assert 'class="elderly' not in await r.text() and r.cookies["yw_elderly"].value == "0"


async def test_the_home_page_lists_the_crawled_sites_only(portal: str, pg_pool: asyncpg.Pool) -> None:
    """A group's grassroots units are sites too (thousands, not crawled): the home page lists the web sites."""
    tag = secrets.token_hex(3)
    web, unit = f"home-web-{tag}", f"某村{tag}"
    await add_site(pg_pool, {"id": web, "name": f"首页站点{tag}", "level": "市", "start_urls": ["https://a.gov.cn/"]})
    # a grassroots unit: its disclosure is imported, it is not crawled
    village = {"id": f"home-unit-{tag}", "name": unit, "level": "村社区", "start_urls": ["https://b.gov.cn/"]}
    await add_site(pg_pool, {**village, "enabled": False})
    status, _, html = await _get(f"{portal}/?site={web}")
    assert status == 200 and f"/screen/{web}" in html
    assert unit not in html


async def test_bad_input_gets_a_clear_page(portal: str) -> None:
    status, _, html = await _get(f"{portal}/documents/not-an-id")
    assert status == 404 and "没有找到这篇文档" in html
    status, _, html = await _get(f"{portal}/screen/no-such-site")
    assert status == 404 and "NOT_FOUND" in html
    status, _, html = await _get(f"{portal}/search?q=x&page=abc")
    assert status == 400 and "正整数" in html
    status, _, html = await _get(f"{portal}/search?q=x&page=99999999999")  # past what a GraphQL Int holds
    assert status == 400 and "页码" in html and "Internal error" not in html
    async with aiohttp.ClientSession() as s, s.post(f"{portal}/ask", data={"question": " "}) as r:
        assert r.status == 400 and "请输入问题" in await r.text()
    async with aiohttp.ClientSession() as s, s.post(f"{portal}/ask", data={"question": "问" * 201}) as r:
        assert r.status == 400


async def test_the_big_screen_names_every_kind_of_document_in_chinese(portal: str, pg_pool: asyncpg.Pool) -> None:
    """The crawler's kinds (文章, 栏目页, 首页) are counted on the big screen like the others, in words a web office
    reads, not as the API's identifiers."""
    site = f"screen-{secrets.token_hex(3)}"
    await add_site(
        pg_pool, {"id": site, "name": "大屏测试站", "level": "市", "start_urls": [f"https://{site}.gov.cn/"]}
    )
    for kind in ("article", "column", "homepage", "notice"):
        await pg_pool.execute(
            "insert into documents (url, site_id, kind, title, text, content_hash) values ($1, $2, $3, $3, '', $1)",
            f"https://{site}.gov.cn/{kind}.html",
            site,
            kind,
        )
    status, _, html = await _get(f"{portal}/screen/{site}")
    assert status == 200
    shown = re.search(r"各类信息数量：([^<]*)", html)
    assert shown and shown.group(1).split("，") == ["文章 1", "栏目页 1", "首页 1", "通知公告 1"], shown


async def test_the_big_screen_lists_department_sites(settings: Settings, pg_pool: asyncpg.Pool) -> None:
    """The screen's 部门网站 table reads the first page of inventoryComparison (a digit sorts before letters); its
    own server, whose inventory cache holds no page read before the site was added."""
    tag = secrets.token_hex(3)
    department = f"大屏测试局{tag}"
    record = {"id": f"0-dept-{tag}", "name": "大屏部门站", "level": "部门", "department": department}
    await add_site(pg_pool, {**record, "start_urls": [f"https://dept-{tag}.gov.cn/"]})
    async with serve_api(settings) as portal:
        status, _, html = await _get(f"{portal}/screen/0-dept-{tag}")
    assert status == 200 and f'<th scope="row">{department}</th>' in html


async def test_pages_spend_the_clients_rate_limit(settings: Settings) -> None:
    async with serve_api(settings, rate_limit_per_min=1, rate_limit_burst=3) as url:
        statuses = [(await _get(f"{url}/search?q=a"))[0] for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


async def test_pages_run_under_the_graphql_cost_budget(settings: Settings) -> None:
    async with serve_api(settings, max_query_cost=5) as url:
        status, _, html = await _get(f"{url}/search?q=公告")
    assert status == 400 and "QUERY_TOO_EXPENSIVE" in html

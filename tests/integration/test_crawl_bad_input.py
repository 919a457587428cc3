"""Bad input through the real Crawler: nothing crashes, each failure is in the fetch log with its reason."""

from __future__ import annotations

import asyncio
import dataclasses
import os

import asyncpg
import pytest
from aiohttp import web

from core.bus import Bus
from core.documents import get_document
from core.settings import Settings
from tests.integration.crawling import add_site, crawl, fetch_log, html, serve, site_record, unique

pytestmark = pytest.mark.integration

LINKS = [
    "/malformed.html", "/truncated.html", "/wrong-charset.html", "/binary.html", "/huge.html", "/loop", "/e500",
    "/timeout", "/slow", "/private/secret.html", "/cal?date=2024-01-01", "/gbk.html", "/gb18030.html", "/big5.html",
    "javascript:void(0)", "mailto:xxgk@example.gov.cn", "tel:12345",
]  # fmt: skip
POLICY = "关于进一步优化营商环境的若干措施"


def home() -> str:
    items = "".join(f'<a href="{href}">链接{i}</a>' for i, href in enumerate(LINKS))
    return f"<html><head><title>测试首页</title></head><body><h1>测试首页</h1>{items}</body></html>"


def article(title: str, text: str, charset: str | None = None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = f'<div class="TRS_Editor"><p>{text}</p></div>'  # the body container most government CMSs use
    return f"<html><head>{meta}<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


async def drip(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
    await resp.prepare(request)
    for _ in range(40):
        await resp.write(b"<")
        await asyncio.sleep(0.25)  # not a wait: a server that drips its answer, slower than the crawl allows
    return resp


async def huge(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})  # chunked: no Content-Length
    await resp.prepare(request)
    chunk = ("<p>" + "政务公开" * 8000 + "</p>").encode()
    for _ in range(10 * 1024 * 1024 // len(chunk) + 1):
        await resp.write(chunk)
    return resp


async def calendar(request: web.Request) -> web.Response:
    day = (
        int(request.query.get("date", "2024-01-01")[-2:]) if request.query.get("date", "").startswith("2024-01") else 0
    )
    month = int(request.query.get("date", "2024-01-01")[5:7])
    nxt = f"2024-{month + (day == 28):02d}-{(day % 28) + 1:02d}"
    return html(
        article("活动日历", f'<a href="/cal?date={nxt}">下一天</a><a href="/cal?date=2031-{month:02d}-01">后年</a>')
    )


def routes(app: web.Application) -> None:
    async def sleep_forever(_: web.Request) -> web.Response:
        await asyncio.sleep(10)  # not a wait: a server slower than the crawl's timeout, short enough to shut down
        return html("late")

    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/robots.txt":
            return web.Response(text="User-agent: *\nDisallow: /private/\n")
        if path == "/":
            return html(home())
        if path == "/malformed.html":
            return html(
                f"<html><head><title>{POLICY}</title><body><div><p>为进一步优化营商环境，结合本市实际。"
                "<table><tr><td>一、放宽市场准入，全面实施市场准入负面清单制度。<td><p>二、持续深化改革，"
                "提升政务服务效能。</div></span></b>"
            )
        if path == "/truncated.html":
            return html(article(POLICY, "各区人民政府，市政府各部门：为进一步优化营商环境")[:-30])
        if path == "/wrong-charset.html":  # declared UTF-8, actually GBK
            body = article("关于公布行政许可事项清单的通知", "现将行政许可事项清单予以公布。").encode("gbk")
            return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8"})
        if path == "/binary.html":
            return web.Response(body=b"\x89PNG\r\n\x1a\n" + os.urandom(4096), headers={"Content-Type": "text/html"})
        if path == "/loop":
            raise web.HTTPFound("/loop2")
        if path == "/loop2":
            raise web.HTTPFound("/loop")
        if path == "/e500":
            return web.Response(status=500, text="Internal Server Error")
        if path == "/gbk.html":
            body = article("市人民政府办公室关于印发通知", "各县（区）人民政府，市直各单位。", "gbk").encode("gbk")
            return web.Response(body=body, headers={"Content-Type": "text/html"})
        if path == "/gb18030.html":  # 𠮷 exists only in GB18030 (four bytes), not in GBK
            body = article("𠮷祥街道社区公开栏", "𠮷祥街道办事处二〇二四年公开事项。", "gb18030").encode("gb18030")
            return web.Response(body=body, headers={"Content-Type": "text/html"})
        if path == "/big5.html":
            body = article("臺灣地區居民來往大陸通行證辦理須知", "辦理時請攜帶本人身份證明。", "big5").encode("big5")
            return web.Response(body=body, headers={"Content-Type": "text/html"})
        return web.Response(status=404)

    app.router.add_get("/slow", drip)
    app.router.add_get("/huge.html", huge)
    app.router.add_get("/timeout", sleep_forever)
    app.router.add_get("/cal", calendar)
    app.router.add_get("/{tail:.*}", handler)


async def test_bad_input_is_logged_with_reasons_and_the_crawl_finishes(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    quick = dataclasses.replace(settings, crawl_timeout_s=6.0, crawl_concurrency=8)
    async with serve(routes) as base:
        site_id = unique("bad")
        await add_site(pg_pool, site_record(site_id, base))
        run = await crawl(quick, pg_pool, bus, site_id)
        state = await pg_pool.fetchval("select state from crawls where id = $1", run.crawl_id)
    assert state == "done"
    log = await fetch_log(pg_pool, run.crawl_id)
    reason = {r["url"].removeprefix(base): r["reason"] for r in log}
    status = {r["url"].removeprefix(base): r["status"] for r in log}
    assert reason["/binary.html"] == "binary_body"
    assert reason["/huge.html"] == "too_large"
    assert reason["/loop"] == "redirect_loop"
    assert reason["/e500"] == "bad_status" and status["/e500"] == 500
    assert reason["/timeout"] == "timeout"
    assert reason["/slow"] in ("too_slow", "timeout")
    assert reason["/private/secret.html"] == "robots_disallow"
    assert "calendar_trap" in reason.values() or "calendar_out_of_range" in reason.values()
    assert sum(u.startswith("/cal?") and r is None for u, r in reason.items()) <= 32, "the calendar is cut off"
    assert not any(u.startswith(("javascript:", "mailto:", "tel:")) for u in reason), "never fetched"
    for path in ("/malformed.html", "/truncated.html", "/wrong-charset.html"):
        assert reason[path] is None and status[path] == 200, path
    malformed = await get_document(pg_pool, url=f"{base}/malformed.html")
    assert malformed.title == POLICY and "放宽市场准入" in malformed.text
    assert (await get_document(pg_pool, url=f"{base}/truncated.html")).title == POLICY
    assert (await get_document(pg_pool, url=f"{base}/wrong-charset.html")).title == "关于公布行政许可事项清单的通知"


@pytest.mark.parametrize(
    ("path", "title", "text"),
    [
        ("/gbk.html", "市人民政府办公室关于印发通知", "各县（区）人民政府，市直各单位。"),
        ("/gb18030.html", "𠮷祥街道社区公开栏", "𠮷祥街道办事处二〇二四年公开事项。"),
        ("/big5.html", "臺灣地區居民來往大陸通行證辦理須知", "辦理時請攜帶本人身份證明。"),
    ],
)
async def test_chinese_legacy_charsets_decode_end_to_end(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, path: str, title: str, text: str
) -> None:
    async with serve(routes) as base:
        site_id = unique("charset")
        await add_site(pg_pool, site_record(site_id, base, start_urls=[f"{base}{path}"]))
        await crawl(settings, pg_pool, bus, site_id)
    doc = await get_document(pg_pool, url=f"{base}{path}")
    assert doc.title == title and text in doc.text

"""Link findings through the real crawler and link checker on loopback: a planted 404 on 50 pages is one finding
listing them; off-site links to a host that cannot be reached are not broken links when nothing off-site answers;
failures are labelled by their cause; the list leads with what the site must fix."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from core.bus import Bus
from core.monitoring import inspect, list_findings
from core.monitoring.report import gather_report, render_report
from core.settings import Settings
from tests.integration.crawling import add_site, crawl, html, serve, site_record, unique
from workers.checks import check_site_links, checking_fetcher, fetch_policy

pytestmark = pytest.mark.integration

NOW = datetime(2024, 7, 1, 4, 0, tzinfo=UTC)
LATER = datetime(2024, 7, 2, 4, 0, tzinfo=UTC)  # link checks are kept per URL and day: another day checks anew
FOOTER = '<a href="https://www.gov.cn/">中国政府网</a> <a href="https://beian.miit.gov.cn/">示ICP备00000000号</a>'


class Internet(AbstractResolver):
    """The internet as tests see it (no traffic leaves loopback): names in `up` answer on 127.0.0.1, every
    other name fails as a lookup does with no DNS server to reach."""

    def __init__(self, up: frozenset[str] = frozenset()) -> None:
        self.up = up

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        if host not in self.up:
            raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


def site_app(extra_links: str = "") -> web.Application:
    """A homepage and 50 pages; every page links to a page that is gone and to the two footer sites."""

    async def home(request: web.Request) -> web.Response:
        items = "".join(f'<li><a href="/p{i:02d}.html">第{i}条</a></li>' for i in range(50))
        return html(f"<html><body><h1>首页</h1><ul>{items}</ul>{extra_links}<div>{FOOTER}</div></body></html>")

    async def page(request: web.Request) -> web.Response:
        n = request.match_info["n"]
        body = f"<h1>第{n}条</h1><p>正文。</p><p><a href='/gone.html'>相关链接</a></p>"
        return html(f"<html><body>{body}<div>{FOOTER}</div></body></html>")

    async def missing(request: web.Request) -> web.Response:
        return html("<h1>404</h1>", status=404)

    app = web.Application()
    app.router.add_get("/", home)
    app.router.add_get("/p{n}.html", page)
    app.router.add_get("/{tail:.*}", missing)
    return app


async def checked(
    settings: Settings, pool: asyncpg.Pool, bus: Bus, site: str, internet: Internet, now: datetime = NOW
) -> None:
    await crawl(settings, pool, bus, site)
    policy = await fetch_policy(pool, site)
    async with checking_fetcher(settings, pool, policy=policy, timeout_s=5, resolver=internet) as fetcher:
        await check_site_links(pool, fetcher, site, now)
    await inspect(pool, site, now)


async def test_offline_a_planted_404_is_the_one_finding(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> None:
    site = unique("links-offline")
    async with serve(site_app()) as base:
        await add_site(pg_pool, site_record(site, base))
        await checked(settings, pg_pool, bus, site, Internet())
    found, _ = await list_findings(pg_pool, site_id=site, limit=100)
    links = [f for f in found if f.rule in ("broken_links", "homepage_broken_links")]
    [gone] = links
    assert gone.rule == "broken_links" and gone.key == f"{base}/gone.html"
    assert gone.evidence["page_count"] == 50 and len(gone.evidence["pages"]) == 20
    assert gone.evidence["failure"] == "HTTP 404" and gone.evidence["off_site"] is False
    assert "50 个页面" in gone.summary
    assert found[0].id == gone.id, "the list leads with what the site must fix"
    errors = await pg_pool.fetch(
        "select url, error from link_checks where url = any($1::text[])",
        ["https://www.gov.cn/", "https://beian.miit.gov.cn/"],
    )
    assert len(errors) == 2 and all(r["error"].startswith("network_unreachable: ") for r in errors), errors
    report = render_report(await gather_report(pg_pool, site, NOW, weeks=4))
    assert "见于 50 个页面" in report and "原因：HTTP 404" in report and "beian.miit.gov.cn" not in report


async def test_online_failures_are_labelled_by_cause_and_404s_lead(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    async def other(request: web.Request) -> web.Response:
        return html("<h1>已删除</h1>", status=410) if request.path == "/moved.html" else html("<h1>好</h1>")

    async with serve(lambda app: app.router.add_get("/{tail:.*}", other)) as elsewhere:
        port = elsewhere.rsplit(":", 1)[1]
        links = (
            f'<a href="http://answering.example:{port}/ok.html">好链接</a>'
            f'<a href="http://answering.example:{port}/moved.html">已删除的链接</a>'
        )
        site = unique("links-online")
        async with serve(site_app(links)) as base:
            await add_site(pg_pool, site_record(site, base, allow_private=["127.0.0.0/8"]))
            await checked(settings, pg_pool, bus, site, Internet(frozenset({"answering.example"})), LATER)
    found, _ = await list_findings(pg_pool, site_id=site, limit=100)
    by_link = {f.evidence.get("link"): f for f in found if "link" in f.evidence}
    assert by_link["https://www.gov.cn/"].evidence["failure"] == "DNS", "something answered: DNS is a real failure"
    assert by_link["https://beian.miit.gov.cn/"].rule == "homepage_broken_links"
    moved = by_link[f"http://answering.example:{port}/moved.html"]
    assert moved.evidence["failure"] == "HTTP 410" and moved.evidence["off_site"] is True
    assert f"http://answering.example:{port}/ok.html" not in by_link
    order = [f.evidence.get("link") for f in found]
    first_two = set(order[:2])
    assert first_two == {f"{base}/gone.html", f"http://answering.example:{port}/moved.html"}, order
    assert set(order[-2:]) == {"https://www.gov.cn/", "https://beian.miit.gov.cn/"}, order

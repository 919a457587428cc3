"""Monitoring against the demo site group: crawled for real, checked on loopback, inspected with a moving clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiohttp import web

from core.bus import Bus
from core.documents import get_document
from core.monitoring import (
    LinkCheck,
    Probe,
    inspect,
    inspect_and_alert,
    list_findings,
    record_link_checks,
    record_probe,
    set_threshold,
    site_inventory,
    update_trend,
)
from core.monitoring.columns import column_type_of
from core.monitoring.report import gather_report, render_report
from core.settings import Settings
from ops.demo.generator import MISSPELT
from ops.demo.model import SiteContent
from ops.demo.server import DemoSiteGroup
from tests.integration.crawling import add_site, crawl, serve
from workers.checks import check_site_links, checking_fetcher, fetch_policy, probe_site

pytestmark = pytest.mark.integration

DEMO_NOW = datetime(2024, 6, 30, 12, 0)  # Beijing wall clock of the demo content
NOW = datetime(2024, 6, 30, 4, 0, tzinfo=UTC)  # the same moment for the monitor's clock
IDS = {"demo-portal": "mon-portal", "demo-dept": "mon-dept", "demo-county": "mon-county"}


@dataclass
class Demo:
    """The served demo group, crawled into Postgres under the mon-* site ids, links checked at NOW."""

    group: DemoSiteGroup
    pool: asyncpg.Pool

    def base(self, site: str) -> str:
        return self.group.base(_demo_id(site))

    def content(self, site: str) -> SiteContent:
        return self.group.contents[_demo_id(site)]


def _demo_id(site: str) -> str:
    return next(k for k, v in IDS.items() if v == site)


def loopback(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory, settings: Settings, pg_pool: asyncpg.Pool,
               bus: Bus) -> AsyncIterator[Demo]:  # fmt: skip
    group = DemoSiteGroup(tmp_path_factory.mktemp("demo-monitor"), now=DEMO_NOW)
    await group.start()
    try:
        for record in group.sites():
            record = {**record, "id": IDS[record["id"]]}
            await add_site(pg_pool, record)
            await crawl(settings, pg_pool, bus, record["id"])
        for site in IDS.values():
            policy = await fetch_policy(pg_pool, site)
            async with checking_fetcher(settings, pg_pool, policy=policy, timeout_s=5) as fetcher:
                await check_site_links(pg_pool, fetcher, site, NOW, allow=loopback)
        yield Demo(group, pg_pool)
    finally:
        await group.stop()


async def open_findings(pool: asyncpg.Pool, site: str, rule: str) -> list:  # type: ignore[type-arg]
    found, _ = await list_findings(pool, site_id=site, rule=rule, limit=1000)
    return found


async def test_broken_links_are_found_with_page_status_and_first_seen(demo: Demo) -> None:
    for site in IDS.values():
        await inspect(demo.pool, site, NOW)
        found = await open_findings(demo.pool, site, "broken_links") + await open_findings(
            demo.pool, site, "homepage_broken_links"
        )
        broken = {urlsplit(f.evidence["link"]).path for f in found}
        assert broken == set(demo.content(site).broken_links), site
        assert all(f.evidence["status"] == 404 and f.first_seen == NOW for f in found)
        assert all(f.evidence["page"].startswith(demo.base(site)) for f in found)
    portal = await open_findings(demo.pool, "mon-portal", "broken_links")
    pdf = next(f for f in portal if f.evidence["link"].endswith(".pdf"))
    assert pdf.evidence["kind"] == "attachment" and "填报说明" in pdf.summary


async def test_misspelt_term_is_found_at_its_position(demo: Demo) -> None:
    await inspect(demo.pool, "mon-portal", NOW)
    [hit] = await open_findings(demo.pool, "mon-portal", "wrong_expressions")
    url = demo.base("mon-portal") + demo.content("mon-portal").misspelt_path  # type: ignore[operator]
    doc = await get_document(demo.pool, url=url)
    assert hit.url == url and hit.evidence["position"] == doc.text.index(MISSPELT)
    assert hit.evidence["right"] == "社会主义核心价值观" and hit.column == "要闻动态"
    for site in ("mon-dept", "mon-county"):
        await inspect(demo.pool, site, NOW)
        assert not await open_findings(demo.pool, site, "wrong_expressions")


async def test_stale_blank_and_idle_columns(demo: Demo) -> None:
    card, _ = await inspect(demo.pool, "mon-portal", NOW)
    blank = {f.column for f in await open_findings(demo.pool, "mon-portal", "columns_blank")}
    assert blank == {"政务督查"}
    long_idle = {f.column for f in await open_findings(demo.pool, "mon-portal", "columns_long_idle")}
    assert long_idle == {"人事任免"}
    limits = {"news": 14, "notice": 180, "policy": 180}
    expected = set()
    for col in demo.content("mon-portal").spec.columns:
        articles = demo.content("mon-portal").columns[col.slug]
        kind = column_type_of(col.name)
        if kind in limits and articles and (DEMO_NOW.date() - articles[0].published.date()).days > limits[kind]:
            expected.add(col.name)
    idle = {f.column for f in await open_findings(demo.pool, "mon-portal", "columns_idle")}
    assert idle == expected
    # Half a year later every 动态/通知/政策 column is idle; a veto at 3 (set by an admin) fails the site.
    later = NOW + timedelta(days=200)
    await set_threshold(demo.pool, rule_name="columns_idle", name="veto_at", value=3)
    try:
        card, _ = await inspect(demo.pool, "mon-portal", later)
        idle = {f.column for f in await open_findings(demo.pool, "mon-portal", "columns_idle")}
        assert idle == {"要闻动态", "通知公告", "政策文件"}
        assert "columns_idle" in [v.rule for v in card.vetoes] and not card.passed
    finally:
        await set_threshold(demo.pool, rule_name="columns_idle", name="veto_at", value=None)


async def test_unanswered_letters_over_three_months(demo: Demo) -> None:
    for site in IDS.values():
        await inspect(demo.pool, site, NOW)
        content = demo.content(site)
        letters = [a for a in content.articles() if a.letter is not None]
        overdue = {demo.base(site) + a.path for a in letters
                   if a.letter.replied_at is None and (DEMO_NOW - a.letter.asked_at).days > 90}  # type: ignore[union-attr]  # fmt: skip
        found = {f.url for f in await open_findings(demo.pool, site, "interaction_unanswered")}
        assert found == overdue and overdue, site


async def test_homepage_goes_stale_and_alerts_open_and_close(demo: Demo, bus: Bus) -> None:
    await inspect(demo.pool, "mon-county", NOW)
    assert not await open_findings(demo.pool, "mon-county", "homepage_stale")
    later = NOW + timedelta(days=60)
    card = await inspect_and_alert(demo.pool, bus, "mon-county", later)
    [stale] = await open_findings(demo.pool, "mon-county", "homepage_stale")
    assert not card.passed and stale.evidence["idle_days"] > 14 and stale.evidence["newest_url"]
    # A broken link that the site fixed: tomorrow's check passes and the finding closes itself.
    [broken] = await open_findings(demo.pool, "mon-county", "broken_links")
    fixed_at = later + timedelta(days=1)
    fixed = LinkCheck(url=broken.evidence["link"], ok=True, status=200, error=None, elapsed_ms=3, checked_at=fixed_at)
    await record_link_checks(demo.pool, [fixed])
    _, alerts = await inspect(demo.pool, "mon-county", fixed_at)
    assert [(a.rule, a.state, a.finding_id) for a in alerts] == [("broken_links", "closed", broken.id)]
    closed, _ = await list_findings(demo.pool, site_id="mon-county", state="closed", rule="broken_links")
    assert closed[0].closed_at == fixed_at


async def test_probes_measure_reachability(demo: Demo, settings: Settings, pg_pool: asyncpg.Pool) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)  # not a wait: a homepage slower than the probe's timeout
        return web.Response(text="<html><title>首页</title></html>", content_type="text/html")

    async with serve(lambda app: app.router.add_get("/", slow)) as base:
        await add_site(pg_pool, {"id": "mon-slow", "name": "慢站点", "level": "部门", "start_urls": [f"{base}/"]})
        slow_policy = await fetch_policy(pg_pool, "mon-slow")
        async with checking_fetcher(settings, pg_pool, policy=slow_policy, timeout_s=1.0, retries=0, robots=False) as f:
            probe = await probe_site(pg_pool, f, "mon-slow", NOW, timeout_s=1.0)
            assert not probe.ok and probe.error == "timeout"
    portal_policy = await fetch_policy(pg_pool, "mon-portal")
    async with checking_fetcher(settings, pg_pool, policy=portal_policy, timeout_s=15, retries=0, robots=False) as f:
        assert (await probe_site(pg_pool, f, "mon-portal", NOW, timeout_s=15)).ok
    # 19 more good probes that day: 1 failure in 20 is 5%, the veto line.
    for i in range(19):
        await record_probe(pg_pool, "mon-slow", base, Probe(NOW - timedelta(hours=i + 1), True, 200, 80))
    card, alerts = await inspect(pg_pool, "mon-slow", NOW + timedelta(minutes=1))
    assert "site_unreachable" in [v.rule for v in card.vetoes]
    assert ("site_unreachable", "opened") in [(a.rule, a.state) for a in alerts]
    for i in range(10):  # ten more good probes: 1 in 30 is below 5%, and the finding closes
        await record_probe(pg_pool, "mon-slow", base, Probe(NOW + timedelta(minutes=2 + i), True, 200, 80))
    card, alerts = await inspect(pg_pool, "mon-slow", NOW + timedelta(minutes=30))
    assert "site_unreachable" not in [v.rule for v in card.vetoes]
    assert ("site_unreachable", "closed") in [(a.rule, a.state) for a in alerts]


async def test_inventory_and_update_trend(demo: Demo) -> None:
    inv = await site_inventory(demo.pool, "mon-portal", NOW)
    content = demo.content("mon-portal")
    columns = {c.name: c for c in inv.columns}
    for spec in content.spec.columns:
        articles = content.columns[spec.slug]
        assert columns[spec.name].items == len(articles), spec.name
        newest = articles[0].published.date() if articles else None
        assert columns[spec.name].last_published == newest, spec.name
    assert columns["人事任免"].type == "personnel" and inv.by_kind["homepage"] == 1
    trend = await update_trend(demo.pool, "mon-portal", 8, NOW)
    first = trend[0].week
    expected = sum(1 for a in content.articles() if first <= a.published.date() <= DEMO_NOW.date())
    assert len(trend) == 8 and sum(w.count for w in trend) == expected > 0
    assert all(w.week.weekday() == 0 for w in trend)


async def test_report_shows_scorecard_trend_and_findings(demo: Demo, tmp_path: Path) -> None:
    await inspect(demo.pool, "mon-portal", NOW)
    html = render_report(await gather_report(demo.pool, "mon-portal", NOW, weeks=12))
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "示范市人民政府门户网站 网站检查报告" in text and "不合格" in text and "<svg" in text
    assert MISSPELT in text and "社会主义核心价值观" in text and "政务督查" in text
    for broken in demo.content("mon-portal").broken_links:
        assert broken in text
    assert "http" not in text.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org/2000/svg", "")

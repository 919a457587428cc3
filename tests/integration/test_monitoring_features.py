"""Monitoring rules over other features' views: the open-data quality review (回头看) on the open-data site, and
disclosure freshness on a village's site rolled up to its township, district and city; fixed problems close."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from core import disclosure as dx
from core.bus import AlertRaised, Bus
from core.bus.events import subject_for_site
from core.monitoring import inspect, inspect_and_alert, list_findings
from core.monitoring.models import Finding
from core.monitoring.report import gather_report, render_report
from core.monitoring.schedule import due_jobs
from core.opendata import resources, service
from core.opendata.tabular import read_csv
from core.settings import Settings
from core.sites import add_site_if_missing
from tests.integration.conftest import serve_api
from tests.integration.disclosure_fixtures import load_tree
from tests.integration.graphql import gql_data
from tests.polling import eventually

pytestmark = pytest.mark.integration

NOW = datetime(2024, 6, 10, 2, 0, tzinfo=UTC)
C, D, T1 = "330600000000", "330602000000", "330602001000"
V1, V2, V3 = "330602001201", "330602001202", "330602002201"


async def open_findings(pool: asyncpg.Pool, site: str, rule: str) -> list[Finding]:
    found, _ = await list_findings(pool, site_id=site, rule=rule, limit=100)
    return found


def csv_of(rows: list[str]) -> resources.Tabular:
    return resources.Tabular(table=read_csv("\n".join(["站点,人数", *rows]).encode()))


async def test_quality_problems_are_findings_of_the_open_data_site(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    site = "mon-opendata"
    od = dataclasses.replace(settings, opendata_site=site, public_url="http://opendata.test")
    await add_site_if_missing(pg_pool, site_id=site, name="数据开放平台", level="市")
    await service.ensure_domains(pg_pool, od)
    await service.ensure_organization(pg_pool, name="mon-stats", title="统计局")
    await service.create_dataset(pool=pg_pool, bus=None, settings=od, data={"name": "mon-q", "owner_org": "mon-stats"})
    made = await resources.add_resource(
        pool=pg_pool,
        bus=None,
        settings=od,
        dataset_ref="mon-q",
        values={"name": "q.csv", "format": "CSV"},
        tabular=csv_of([f"站{i},{i}" for i in range(6)] + ["站3,3"]),  # line 8 repeats line 5
    )
    card = await inspect_and_alert(pg_pool, bus, site, NOW, settings=od)
    [dup] = [f for f in await open_findings(pg_pool, site, "opendata_quality") if f.evidence["dataset"] == "mon-q"]
    assert dup.evidence["kind"] == "duplicate" and dup.evidence["count"] == 1
    assert dup.evidence["department_title"] == "统计局" and dup.key.endswith(f"/{made}/duplicate/")
    assert "数据集 mon-q（统计局）" in dup.summary
    [line] = [i for i in card.items if i.rule == "opendata_quality"]
    assert line.count >= 1 and line.deduction > 0 and not line.vetoed
    # The catalogue is no crawled site: its homepage, column and link indicators read 不适用, not 通过.
    assert {i.rule for i in card.items if not i.applies} == WEB_PAGE_RULES
    # The same problem found again is the same finding; the table reloaded without it closes it.
    await inspect(pg_pool, site, NOW + timedelta(hours=1), settings=od)
    assert dup.id in [f.id for f in await open_findings(pg_pool, site, "opendata_quality")]
    await resources.replace_resource(
        pool=pg_pool,
        bus=None,
        settings=od,
        resource_id=made,
        values={"name": "q2.csv"},
        tabular=csv_of([f"站{i},{i}" for i in range(6)]),
    )
    _, alerts = await inspect(pg_pool, site, NOW + timedelta(hours=2), settings=od)
    assert (site, "opendata_quality", "closed", dup.id) in [(a.site_id, a.rule, a.state, a.finding_id) for a in alerts]
    assert dup.id not in [f.id for f in await open_findings(pg_pool, site, "opendata_quality")]
    # Any other site is not judged by it.
    await add_site_if_missing(pg_pool, site_id="mon-plain", name="普通站点", level="部门")
    other, _ = await inspect(pg_pool, "mon-plain", NOW, rules=["opendata_quality"], settings=od)
    assert other.items == []  # not on its scorecard


async def publish(pool: asyncpg.Pool, bus: Bus, unit: str, category: str, dated: date) -> dx.Item:
    draft = dx.ItemDraft(unit_code=unit, category=category, period="2024", dated=dated, title="收支", body="")
    at = datetime.combine(dated, datetime.min.time(), UTC)
    return await dx.create_item(pool=pool, bus=bus, draft=draft, publish=True, by="t", now=at)


async def test_stale_disclosures_on_the_village_and_rolled_up(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    await load_tree(pg_pool, "3306")
    rules = dataclasses.replace(settings, disclosure_freshness_days="财务=31,村务=92")
    await publish(pg_pool, bus, V1, "财务", date(2024, 6, 1))
    await publish(pg_pool, bus, V1, "村(居)务", date(2024, 5, 1))
    await publish(pg_pool, bus, V2, "财务", date(2024, 3, 1))  # 101 days before NOW: past 31
    village = dx.site_id_of(V2)
    _, alerts = await inspect(pg_pool, village, NOW, settings=rules)
    found = {f.key: f for f in await open_findings(pg_pool, village, "disclosure_stale")}
    assert set(found) == {"category:财务", "category:村(居)务"}
    assert found["category:财务"].evidence["days_since"] == 101 and "101 天未公开" in found["category:财务"].summary
    assert found["category:村(居)务"].evidence["last_published"] is None  # nothing yet
    assert sorted(a.state for a in alerts if a.rule == "disclosure_stale") == ["opened", "opened"]
    await inspect(pg_pool, dx.site_id_of(V1), NOW, settings=rules)
    assert not await open_findings(pg_pool, dx.site_id_of(V1), "disclosure_stale")
    # The township lists its villages per category; the district and the city count every village below.
    await inspect(pg_pool, dx.site_id_of(T1), NOW, settings=rules)
    town = {f.key: f.evidence for f in await open_findings(pg_pool, dx.site_id_of(T1), "disclosure_stale")}
    assert town["category:财务"]["villages"] == 1 and [v["code"] for v in town["category:财务"]["listed"]] == [V2]
    assert town["category:村(居)务"]["listed"][0]["name"] == "永安村"
    await inspect(pg_pool, dx.site_id_of(C), NOW, settings=rules)
    city = {f.key: f.evidence for f in await open_findings(pg_pool, dx.site_id_of(C), "disclosure_stale")}
    assert city["category:财务"]["villages"] == 3  # V2, V3 and 金龙社区: all but V1
    assert [v["code"] for v in city["category:财务"]["listed"]][:2] == [V2, V3]
    html = render_report(await gather_report(pg_pool, dx.site_id_of(C), NOW))
    assert "基层公开不及时" in html and "3 个村（社区）：永安村（2024-03-01）、石桥村（无）、金龙社区（无）" in html
    # V2 publishes its accounts: its finding closes, and the township's 财务 line with it.
    await publish(pg_pool, bus, V2, "财务", date(2024, 6, 5))
    _, alerts = await inspect(pg_pool, village, NOW + timedelta(hours=1), settings=rules)
    closed = found["category:财务"].id
    assert [(a.rule, a.state, a.finding_id) for a in alerts] == [("disclosure_stale", "closed", closed)]
    await inspect(pg_pool, dx.site_id_of(T1), NOW + timedelta(hours=1), settings=rules)
    assert [f.key for f in await open_findings(pg_pool, dx.site_id_of(T1), "disclosure_stale")] == ["category:村(居)务"]


async def test_a_bad_freshness_setting_judges_nothing_and_closes_nothing(
    settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    await load_tree(pg_pool, "3307")
    village = dx.site_id_of("330702001201")
    good = dataclasses.replace(settings, disclosure_freshness_days="财务=31")
    await inspect(pg_pool, village, NOW, settings=good)
    [before] = await open_findings(pg_pool, village, "disclosure_stale")
    for raw in ("财务=abc", "不存在的类别=30", "财务=0"):
        bad = dataclasses.replace(settings, disclosure_freshness_days=raw)
        card, alerts = await inspect(pg_pool, village, NOW + timedelta(days=1), settings=bad)
        [line] = [i for i in card.items if i.rule == "disclosure_stale"]
        assert "DISCLOSURE_FRESHNESS_DAYS" in line.measured and "未判定" in line.measured, raw
        assert not [a for a in alerts if a.rule == "disclosure_stale"]
        assert [f.id for f in await open_findings(pg_pool, village, "disclosure_stale")] == [before.id]
    # A site that is not a unit's is not judged by the rule.
    await add_site_if_missing(pg_pool, site_id="mon-plain", name="普通站点", level="部门")
    card, _ = await inspect(pg_pool, "mon-plain", NOW, rules=["disclosure_stale"], settings=good)
    assert card.items == []


WEB_PAGE_RULES = {
    "site_unreachable",
    "homepage_stale",
    "columns_idle",
    "columns_long_idle",
    "columns_blank",
    "homepage_broken_links",
    "broken_links",
}
SCORECARD = """query($s: ID!) { inspection(site: $s) { scorecard { score passed
    items { rule title applies count vetoed deduction measured } } } }"""


async def test_a_units_site_shows_the_web_page_indicators_as_not_applicable(
    settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    """A village's site is its disclosure register: no homepage, columns or links, so those indicators read 不适用
    (not 通过) and count for nothing; the rules that do read its content and letters are judged."""
    await load_tree(pg_pool, "3396")
    village = dx.site_id_of("339602001201")
    await inspect(pg_pool, village, NOW, settings=dataclasses.replace(settings, disclosure_freshness_days="财务=31"))
    async with serve_api(settings) as api:
        card = (await gql_data(api, SCORECARD, {"s": village}))["inspection"]["scorecard"]
    lines = {i["rule"]: i for i in card["items"]}
    assert {rule for rule, line in lines.items() if not line["applies"]} == WEB_PAGE_RULES
    for rule in WEB_PAGE_RULES:
        assert (lines[rule]["count"], lines[rule]["vetoed"], lines[rule]["deduction"]) == (0, False, 0), rule
        assert "不适用" in lines[rule]["measured"], rule
    assert {"wrong_expressions", "interaction_unanswered", "disclosure_stale"} <= set(lines)
    assert "opendata_quality" not in lines and "tv_commitment_overdue" not in lines, "features it lacks: left off"
    assert lines["disclosure_stale"]["deduction"] == 1  # 财务: nothing published yet
    assert card["score"] == 99 and card["passed"] is True
    html = render_report(await gather_report(pg_pool, village, NOW))
    assert '<td>首页栏目不更新</td><td>单项否决</td><td><span class="na">不适用</span></td>' in html
    assert html.count("不适用</span>") == len(WEB_PAGE_RULES)


async def test_the_open_data_and_unit_sites_are_inspected_daily_though_not_crawled(
    settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    await load_tree(pg_pool, "3398")  # a city of its own: other modules' units may have been inspected already
    await add_site_if_missing(pg_pool, site_id="mon-od-daily", name="数据开放平台", level="市")
    od = dataclasses.replace(settings, opendata_site="mon-od-daily")
    sites = {"mon-od-daily", dx.site_id_of("339802001201"), dx.site_id_of("339800000000")}
    due = [(actor, site) for (actor, _), site in await due_jobs(pg_pool, NOW, settings=od) if site in sites]
    expected = [("inspect_site", site) for site in sites] + [("check_data_links", "mon-od-daily")]  # its catalogue's
    assert sorted(due) == sorted(expected)  # not probed, site links not checked


async def test_a_stale_village_is_alerted_live_on_its_site(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> None:
    await load_tree(pg_pool, "3309")
    village = dx.site_id_of("330902001201")
    got: list[AlertRaised] = []

    async def listen() -> None:
        async for alert in bus.live(AlertRaised, subject_for_site(AlertRaised, village)):
            got.append(alert)

    async def stale_alerts() -> list[AlertRaised]:
        return [a for a in got if a.rule == "disclosure_stale"]

    task = asyncio.create_task(listen())
    try:
        # A probe on core NATS only (no stream, no finding) tells that the subscription is in place.
        probe = AlertRaised(finding_id="probe", site_id=village, rule="probe", state="opened", summary="", at="")
        await eventually(lambda: bus.notify(probe), lambda _: bool(got), what="the subscription")
        rules = dataclasses.replace(settings, disclosure_freshness_days="财务=31")
        await inspect_and_alert(pg_pool, bus, village, NOW, settings=rules)
        alerts = await eventually(stale_alerts, what="the alert")
        assert [(a.site_id, a.state) for a in alerts] == [(village, "opened")]
        assert "「财务」尚无公开内容" in alerts[0].summary
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

"""回头看 beyond the tables: linked resources' download links checked through the outbound guard (a 200, a 404, a
timeout, a redirect loop against a real local server) and stale datasets, both findings of the open-data site's
scorecard with live alerts; data requests answered by their department's replier; a developer key's rate limit
held across two API processes sharing one database."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import ckanapi
import pytest
from aiohttp import web

from core.monitoring import inspect, list_findings
from core.monitoring.models import Finding
from core.opendata import keys, service
from core.settings import Settings
from core.sites import add_site_if_missing
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site, serve, site_record, unique
from tests.integration.graphql import ADMIN_TOKEN, gql, gql_data
from tests.integration.roles_fixtures import audit_rows, person
from workers.checks import checking_fetcher, fetch_policy
from workers.opendata_links import check_resource_links

pytestmark = pytest.mark.integration
BASE = "http://opendata-checks.test"
QUALITY = "query($id: String!) { dataset(id: $id) { quality { kind summary count resourceId } } }"


@dataclasses.dataclass
class Env:
    url: str
    settings: Settings
    pool: asyncpg.Pool
    org: str


async def call(url: str, action: str, *, key: str | None = ADMIN_TOKEN, **params: Any) -> Any:
    def run() -> Any:
        with ckanapi.RemoteCKAN(url, apikey=key) as remote:
            return getattr(remote.action, action)(**params)

    return await asyncio.to_thread(run)


@pytest.fixture(scope="module")
async def env(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[Env]:
    site, org = unique("od-checks"), unique("chk")
    od = dataclasses.replace(settings, public_url=BASE, opendata_site=site)
    await add_site_if_missing(pg_pool, site_id=site, name="数据开放平台（检查）", level="市")
    await service.ensure_domains(pg_pool, od)
    await service.ensure_organization(pg_pool, name=org, title=f"检查测试局{org[-6:]}")
    async with serve_api(od) as url:
        yield Env(url=url, settings=od, pool=pg_pool, org=org)


async def findings(env: Env, dataset: str, kind: str) -> list[Finding]:
    """The open-data site's open quality findings of one kind for one dataset."""
    found, _ = await list_findings(env.pool, site_id=env.settings.opendata_site, rule="opendata_quality", limit=500)
    return [f for f in found if f.evidence["dataset"] == dataset and f.evidence["kind"] == kind]


def links_server(state: dict[str, int]) -> web.Application:
    async def ok(_: web.Request) -> web.Response:
        return web.Response(body=b"a,b\n1,2\n", content_type="text/csv")

    async def gone(_: web.Request) -> web.Response:
        return web.Response(status=state["gone"], body=b"a\n1\n", content_type="text/csv")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(1.2)
        return web.Response(body=b"late")

    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/loop-b")

    async def loop_b(_: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    app = web.Application()
    for path, handler in (("/ok.csv", ok), ("/gone.csv", gone), ("/slow", slow), ("/loop", loop), ("/loop-b", loop_b)):
        app.router.add_route("*", path, handler)
    return app


async def test_broken_download_links_are_findings_and_alerts(env: Env) -> None:
    state = {"gone": 404}
    async with serve(links_server(state)) as base:
        await add_site(env.pool, site_record(unique("files"), base))  # the files' host, trusted by the guard
        names = ("ok.csv", "gone.csv", "slow", "loop")
        resources = [{"name": n, "format": "CSV", "url": f"{base}/{n}"} for n in names]
        made = await call(env.url, "package_create", name=unique("chk-links"), owner_org=env.org, resources=resources)
        rid = {r["name"]: r["id"] for r in made["resources"]}
        now = datetime.now(UTC)

        async def check(at: datetime) -> dict[str, Any]:
            policy = await fetch_policy(env.pool, env.settings.opendata_site)
            async with checking_fetcher(env.settings, env.pool, policy=policy, timeout_s=0.5, retries=0) as f:
                done = await check_resource_links(env.pool, f, at, allow=lambda u: u.startswith(base))
            return {r.url.rsplit("/", 1)[1]: r for r in done}

        checked = await check(now)
        assert checked["ok.csv"].ok and checked["ok.csv"].status == 200
        assert [checked[n].failure for n in names[1:]] == ["HTTP 404", "timeout", "redirect loop"]
        assert await check(now + timedelta(hours=1)) == {}  # checked lately: not fetched again the same day
        quality = (await gql_data(env.url, QUALITY, {"id": made["name"]}))["dataset"]["quality"]
        links = {q["resourceId"]: q for q in quality if q["kind"] == "link"}
        assert set(links) == {rid[n] for n in names[1:]} and "HTTP 404" in links[rid["gone.csv"]]["summary"]
        _, alerts = await inspect(env.pool, env.settings.opendata_site, now, settings=env.settings)
        broken = {f.evidence["resource_id"]: f for f in await findings(env, made["name"], "link")}
        assert set(broken) == {rid[n] for n in names[1:]}
        assert "下载链接失效（timeout）" in broken[rid["slow"]].summary
        opened = {a.finding_id for a in alerts if a.state == "opened"}
        assert {f.id for f in broken.values()} <= opened
        # The file is back the next day: its finding closes, the others stay open.
        state["gone"] = 200
        again = await check(now + timedelta(days=1))
        assert again["gone.csv"].ok and not again["slow"].ok
        _, alerts = await inspect(env.pool, env.settings.opendata_site, now + timedelta(days=1), settings=env.settings)
        closed = broken[rid["gone.csv"]].id
        assert closed in {a.finding_id for a in alerts if a.state == "closed"}
        left = {f.evidence["resource_id"]: f for f in await findings(env, made["name"], "link")}
        assert set(left) == {rid["slow"], rid["loop"]} and left[rid["loop"]].evidence["count"] == 2  # 2 in a row


async def test_stale_datasets_are_findings_with_how_late(env: Env) -> None:
    name = unique("chk-monthly")
    await call(env.url, "package_create", name=name, owner_org=env.org, update_frequency="每月")
    site = env.settings.opendata_site
    await inspect(env.pool, site, datetime.now(UTC) + timedelta(days=20), settings=env.settings)
    assert await findings(env, name, "stale") == []  # 每月 allows 32 days
    _, alerts = await inspect(env.pool, site, datetime.now(UTC) + timedelta(days=40, hours=1), settings=env.settings)
    [stale] = await findings(env, name, "stale")
    assert stale.evidence["count"] == 8 and "超期 8 天" in stale.summary and "更新不及时" in stale.summary
    assert stale.id in {a.finding_id for a in alerts if a.state == "opened"}


REQUEST = """mutation($t: String!, $b: String!, $d: String!) { submitDataRequest(title: $t, body: $b, department: $d)
  { id } }"""
REPLY = """mutation($id: ID!, $s: String!, $r: String!) { replyDataRequest(id: $id, status: $s, reply: $r)
  { status reply } }"""


async def test_a_departments_replier_answers_its_requests_only(env: Env) -> None:
    other = unique("chk-other")
    await service.ensure_organization(env.pool, name=other, title=f"另一局{other[-6:]}")
    title = (await call(env.url, "organization_show", id=env.org))["title"]
    citizen = await person(env.pool, env.settings, "chk-citizen")
    by_title = await person(env.pool, env.settings, "chk-replier", role="replier", department=title)
    by_name = await person(env.pool, env.settings, "chk-replier2", role="replier", department=env.org)
    stranger = await person(env.pool, env.settings, "chk-stranger", role="replier", department=f"另一局{other[-6:]}")
    ask = {"t": "希望开放停车场数据", "b": "位置与泊位。", "d": env.org}
    asked = [(await gql(env.url, REQUEST, ask, token=citizen.token))["data"]["submitDataRequest"]["id"] for _ in "ab"]
    reply = {"id": asked[0], "s": "replied", "r": "正在整理，下月开放。"}
    anonymous = await gql(env.url, REPLY, reply, token=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for who in (stranger, citizen):  # another department's replier; a person with no role
        refused = await gql(env.url, REPLY, reply, token=who.token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
        assert f"replier for {title}" in refused["errors"][0]["message"]
    [trail] = await audit_rows(env.pool, username=stranger.username, operation="replyDataRequest")
    assert trail["outcome"] == "refused" and trail["role_needed"] == f"replier for {title}"
    done = await gql(env.url, REPLY, reply, token=by_title.token)
    assert done["data"]["replyDataRequest"] == {"status": "replied", "reply": "正在整理，下月开放。"}, done
    done = await gql(env.url, REPLY, {**reply, "id": asked[1], "s": "rejected"}, token=by_name.token)
    assert done["data"]["replyDataRequest"]["status"] == "rejected", done
    missing = await gql(env.url, REPLY, {**reply, "id": "00000000-0000-0000-0000-000000000000"}, token=by_title.token)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_keys_rate_limit_holds_across_two_api_processes(env: Env, api_url: str) -> None:
    key = await keys.create_key(pool=env.pool, owner=unique("两处调用"), rate_per_min=3)
    second = api_url  # the session's API: another app instance, its own pool, the same database
    assert second != env.url
    async with aiohttp.ClientSession(headers={"Authorization": key}) as s:
        answers = []
        for url in (env.url, second, env.url, second, env.url):
            async with s.get(f"{url}/api/3/action/status_show") as r:
                answers.append((r.status, r.headers.get("Retry-After")))
    assert [a for a, _ in answers] == [200, 200, 200, 429, 429]
    assert int(answers[3][1] or 0) >= 1
    [listed] = [k for k in await keys.list_keys(pool=env.pool) if k.prefix == key[:12]]
    assert listed.calls == 5  # every call counted, refused ones too


FORMATS = """query($f: OpenDatasetFilters) { datasets(query: "", filters: $f) { total items { name }
  formats { name count } } }"""


async def test_formats_filter_and_facet_over_ckan_and_graphql(env: Env) -> None:
    org = unique("chk-fmt")
    await service.ensure_organization(env.pool, name=org, title=f"格式局{org[-6:]}")
    for name, formats in (("a", ["csv", "PDF"]), ("b", ["xlsx"]), ("c", ["CSV"])):
        resources = [{"name": f"r.{f}", "format": f, "url": f"https://files.example/r.{f}"} for f in formats]
        await call(env.url, "package_create", name=f"{org}-{name}", owner_org=org, resources=resources)
    facets = {"facet.field": '["res_format"]'}
    found = await call(env.url, "package_search", fq=f"organization:{org} res_format:csv", **facets)
    assert sorted(d["name"] for d in found["results"]) == [f"{org}-a", f"{org}-c"]
    counts = {i["name"]: i["count"] for i in found["search_facets"]["res_format"]["items"]}
    assert counts == {"CSV": 2, "PDF": 1}
    page = (await gql_data(env.url, FORMATS, {"f": {"departments": [org], "formats": ["XLSX"]}}))["datasets"]
    assert page["total"] == 1 and page["items"] == [{"name": f"{org}-b"}]
    lower = (await gql_data(env.url, FORMATS, {"f": {"departments": [org], "formats": ["xlsx"]}}))["datasets"]
    assert lower == page  # any case, as res_format:
    page = (await gql_data(env.url, FORMATS, {"f": {"departments": [org]}}))["datasets"]
    assert {f["name"]: f["count"] for f in page["formats"]} == {"CSV": 2, "PDF": 1, "XLSX": 1}


async def test_a_format_the_catalogue_does_not_know_is_bad_input_naming_those_it_does(env: Env) -> None:
    org = unique("chk-fmt-bad")
    await service.ensure_organization(env.pool, name=org, title=f"格式局{org[-6:]}")
    resources = [{"name": "r.pdf", "format": "pdf", "url": "https://files.example/r.pdf"}]
    await call(env.url, "package_create", name=f"{org}-a", owner_org=org, resources=resources)
    for formats, named in ((["XYZ"], "'XYZ'"), (["csv", "cvs"], "'cvs'"), ([" "], "' '")):
        out = await gql(env.url, FORMATS, {"f": {"departments": [org], "formats": formats}})
        assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT", formats
        message = out["errors"][0]["message"]
        assert f"formats: {named} is no format of the catalogue" in message and "CSV" in message and "PDF" in message
        assert "'csv'" not in message, "only the unknown one is named"
    found = (await gql_data(env.url, FORMATS, {"f": {"departments": [org], "formats": ["Pdf"]}}))["datasets"]
    assert found["items"] == [{"name": f"{org}-a"}]  # a resource's format, any case
    none = (await gql_data(env.url, FORMATS, {"f": {"departments": [org], "formats": ["TSV"]}}))["datasets"]
    assert none["total"] == 0, "a format the catalogue loads is known, though no dataset of this one has it"

"""Changing the catalogue through ckanapi: package_create/patch/delete for admins (the ADMIN_TOKEN, an admin
developer key), refused for others; each change a `dataset` document and a DatasetChanged on NATS; developer
keys counted and rate-limited."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import ckanapi
import pytest
import yaml

from core.bus import Bus, DatasetChanged
from core.documents import get_document
from core.errors import NotFound
from core.opendata import keys, service
from core.opendata.harvest import import_remote
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import ADMIN_TOKEN, gql, gql_data
from tests.integration.roles_fixtures import person

pytestmark = pytest.mark.integration
ORG = "writes-test"
BASE = "http://opendata-writes.test"


@dataclasses.dataclass
class Env:
    url: str
    pool: asyncpg.Pool
    bus: Bus


async def call(url: str, action: str, *, key: str | None = ADMIN_TOKEN, **params: Any) -> Any:
    def run() -> Any:
        with ckanapi.RemoteCKAN(url, apikey=key) as remote:
            return getattr(remote.action, action)(**params)

    return await asyncio.to_thread(run)


@pytest.fixture(scope="module")
async def env(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[Env]:
    opendata = dataclasses.replace(settings, public_url=BASE, opendata_site="opendata-writes")
    await service.ensure_domains(pg_pool, opendata)
    await service.ensure_organization(pg_pool, name=ORG, title="写入测试局")
    async with serve_api(opendata) as url:
        yield Env(url=url, pool=pg_pool, bus=bus)


async def last_change(bus: Bus) -> DatasetChanged:
    assert bus.nc is not None
    msg = await bus.nc.jsm().get_last_msg("YW_OPENDATA", f"{DatasetChanged.SUBJECT}.{ORG}")
    assert msg.data is not None
    return DatasetChanged.decode(msg.data)


PACKAGE = {
    "name": "writes-bus-lines",
    "title": "公交线路",
    "notes": "全市公交线路及站点",
    "owner_org": ORG,
    "groups": [{"name": "transport"}],
    "tags": [{"name": "公交"}, {"name": "交通"}],
    "update_frequency": "每月",
    "temporal_start": "2024-01-01",
    "maintainer": "交通数据处",
    "resources": [{"name": "线路表", "format": "csv", "url": "https://files.example/lines.csv", "size": 2048}],
}


async def test_create_patch_delete(env: Env) -> None:
    made = await call(env.url, "package_create", **PACKAGE)
    assert made["name"] == PACKAGE["name"] and made["organization"]["name"] == ORG
    assert made["groups"][0]["title"] == "道路交通" and [t["name"] for t in made["tags"]] == ["公交", "交通"]
    assert made["resources"][0]["format"] == "CSV" and made["update_frequency"] == "每月"
    change = await last_change(env.bus)
    assert (change.dataset_id, change.change, change.revision) == (made["id"], "created", 1)
    doc = await get_document(env.pool, url=f"{BASE}/dataset/{PACKAGE['name']}")
    assert doc.kind == "dataset" and doc.title == "公交线路" and doc.metadata["department"] == "写入测试局"
    assert doc.metadata["theme"] == ["道路交通"] and doc.metadata["formats"] == ["CSV"]
    with pytest.raises(ckanapi.errors.ValidationError) as again:
        await call(env.url, "package_create", **PACKAGE)
    assert again.value.error_dict["name"] == ["That URL is already in use."]

    patched = await call(env.url, "package_patch", id=made["id"], title="公交线路（2025）")
    assert patched["title"] == "公交线路（2025）" and patched["notes"] == PACKAGE["notes"]
    assert len(patched["resources"]) == 1 and (await last_change(env.bus)).change == "updated"
    found = await call(env.url, "package_search", q="2025 公交", fq=f"organization:{ORG}")
    assert [r["name"] for r in found["results"]] == [PACKAGE["name"]]
    assert (await get_document(env.pool, url=doc.url)).title == "公交线路（2025）"

    assert (await call(env.url, "package_search", fq=f"organization:{ORG}", rows=0))["count"] == 1  # browse: cached
    await call(env.url, "package_delete", id=PACKAGE["name"])
    assert (await last_change(env.bus)).change == "deleted"
    with pytest.raises(ckanapi.errors.NotFound):
        await call(env.url, "package_show", key=None, id=PACKAGE["name"])
    assert (await call(env.url, "package_search", fq=f"organization:{ORG}", rows=0))["count"] == 0
    assert (await get_document(env.pool, url=doc.url)).gone
    with pytest.raises(ckanapi.errors.NotFound):
        await call(env.url, "package_patch", id=PACKAGE["name"], title="x")


async def test_bad_packages_name_each_field(env: Env) -> None:
    bad = {
        "name": "Not A Slug",
        "owner_org": ORG,
        "update_frequency": "hourly",
        "tags": "公交",
        "temporal_start": "yesterday",
        "private": "yes",
        "bbox": [3, 2, 1],
    }
    with pytest.raises(ckanapi.errors.ValidationError) as caught:
        await call(env.url, "package_create", **bad)
    assert set(caught.value.error_dict) >= {"name", "update_frequency", "tags", "temporal_start", "private", "bbox"}
    with pytest.raises(ckanapi.errors.ValidationError) as org:
        await call(env.url, "package_create", name="writes-orphan", owner_org="no-such-dept", groups=[{"name": "x"}])
    assert org.value.error_dict["owner_org"] == ["Organization does not exist"] and "groups" in org.value.error_dict
    with pytest.raises(NotFound):
        await get_document(env.pool, url=f"{BASE}/dataset/writes-orphan")


async def test_private_datasets(env: Env) -> None:
    await call(env.url, "package_create", name="writes-private", owner_org=ORG, private=True)
    public = await call(env.url, "package_search", key=None, fq=f"organization:{ORG}", include_private=True)
    admin = await call(env.url, "package_search", fq=f"organization:{ORG}", include_private=True)
    assert public["count"] == 0 and [r["name"] for r in admin["results"]] == ["writes-private"]
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "package_show", key=None, id="writes-private")
    assert "writes-private" not in await call(env.url, "package_list", key=None)


async def test_developer_keys(env: Env) -> None:
    reader = await keys.create_key(pool=env.pool, owner="开发者甲", rate_per_min=600)
    admin = await keys.create_key(pool=env.pool, owner="数据局", is_admin=True, rate_per_min=600)
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "package_create", key=reader, name="writes-by-reader", owner_org=ORG)
    made = await call(env.url, "package_create", key=admin, name="writes-by-key", owner_org=ORG)
    assert made["name"] == "writes-by-key"
    await call(env.url, "package_show", key=reader, id="writes-by-key")
    listed = {k.owner: k for k in await keys.list_keys(pool=env.pool)}
    assert listed["开发者甲"].calls == 2 and listed["数据局"].calls == 1 and listed["数据局"].last_used is not None
    assert reader not in json.dumps([dataclasses.asdict(k) for k in listed.values()], default=str)
    stored = await env.pool.fetchval("select count(*) from opendata_api_keys where key_hash = $1", reader)
    assert stored == 0  # only the hash is kept
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "status_show", key="ywk_not-a-key")
    await keys.revoke_key(pool=env.pool, prefix=listed["开发者甲"].prefix)
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "status_show", key=reader)


async def test_rate_limit_per_key(env: Env) -> None:
    key = await keys.create_key(pool=env.pool, owner="限速", rate_per_min=2)
    statuses = []
    async with aiohttp.ClientSession(headers={"Authorization": key}) as s:
        for _ in range(3):
            async with s.get(f"{env.url}/api/3/action/status_show") as r:
                statuses.append((r.status, r.headers.get("Retry-After")))
                body = await r.json()
    assert [s for s, _ in statuses] == [200, 200, 429] and int(statuses[2][1] or 0) >= 1
    assert body["success"] is False and "rate limit" in body["error"]["message"]


@pytest.mark.corpus
async def test_harvested_catalogue_lands_marked(env: Env, settings: Settings, corpus: Path) -> None:
    """HDX's real package_show and package_search payloads, as the CKAN harvester reads them, land in the
    catalogue marked with their portal; a second harvest of the same portal changes them in place."""
    fixtures = corpus / "hdx-ckan-fixtures"
    packages = [json.loads((fixtures / "unesco_dataset.json").read_text(encoding="utf-8"))]
    packages += yaml.safe_load((fixtures / "dataset_search_results.yaml").read_text(encoding="utf-8"))["results"]
    opendata = dataclasses.replace(settings, public_url=BASE, opendata_site="opendata-writes")
    portal = "https://data.humdata.org"
    landed = await import_remote(pool=env.pool, bus=None, settings=opendata, base=portal, packages=packages)
    assert (len(landed.created), landed.refused) == (len(packages), [])
    name = landed.created[0]  # another test's harvest of the same payloads may hold the plain name
    shown = await call(env.url, "package_show", key=None, id=name)
    assert shown["harvest_source"] == portal and shown["organization"]["title"] == "UNESCO"
    assert len(shown["resources"]) == len(packages[0]["resources"])
    found = await call(env.url, "package_search", key=None, fq=f'harvest_source:"{portal}"', rows=100)
    assert found["count"] == len(packages)
    packages[0] = {**packages[0], "title": "Zimbabwe - Education Indicators (revised)"}
    again = await import_remote(pool=env.pool, bus=None, settings=opendata, base=portal, packages=packages[:2])
    assert (again.updated, len(again.unchanged), again.withdrawn) == ([name], 1, [])
    found = await call(env.url, "package_search", key=None, fq=f'harvest_source:"{portal}"')
    assert found["count"] == len(packages), "a partial harvest withdraws nothing"


async def test_signed_in_people_by_role(env: Env, settings: Settings) -> None:
    """An access token of the identity provider in Authorization (as ckanapi sends a CKAN API token): people with
    the admin role write, people without it read."""
    opendata = dataclasses.replace(settings, public_url=BASE)
    admin = await person(env.pool, opendata, "od-admin", role="admin")
    nobody = await person(env.pool, opendata, "od-reader")
    made = await call(env.url, "package_create", key=admin.token, name="writes-by-person", owner_org=ORG)
    assert made["name"] == "writes-by-person"
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "package_patch", key=nobody.token, id="writes-by-person", title="x")
    assert (await call(env.url, "package_show", key=nobody.token, id="writes-by-person"))["title"] == "writes-by-person"
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "status_show", key="not-a-token")


SUBMIT = """mutation($t: String!, $b: String!, $d: String!) {
  submitDataRequest(title: $t, body: $b, department: $d) { id status requester departmentTitle } }"""
REPLY = """mutation($id: ID!, $s: String!, $r: String!, $ds: String) {
  replyDataRequest(id: $id, status: $s, reply: $r, dataset: $ds) { status reply dataset } }"""
REQUESTS = """query($d: String) { dataRequests(department: $d) { total items { title status dataset } } }"""
REGISTER = """mutation($ds: [String!]!) {
  registerOpenDataApp(name: "停车助手", url: "https://app.example/park", developer: "某公司", datasets: $ds) {
    name datasets } }"""
APPS = """query($id: String!) { dataset(id: $id) { apps { name developer } } }"""


async def test_data_requests_and_apps(env: Env, settings: Settings) -> None:
    citizen = await person(env.pool, dataclasses.replace(settings, public_url=BASE), "od-citizen")
    ask = {"t": "希望开放公交实时到站数据", "b": "用于出行规划。", "d": ORG}
    assert (await gql(env.url, SUBMIT, ask, token=None))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    made = (await gql(env.url, SUBMIT, ask, token=citizen.token))["data"]["submitDataRequest"]
    twice = (await gql(env.url, SUBMIT, ask, token=citizen.token))["data"]["submitDataRequest"]  # a double click
    assert twice["id"] == made["id"], "the same open request sent again is the one already made"
    assert (
        made["status"] == "open" and made["requester"] == citizen.username and made["departmentTitle"] == "写入测试局"
    )
    await call(env.url, "package_create", name="writes-realtime-bus", owner_org=ORG)
    fulfil = {"id": made["id"], "s": "fulfilled", "r": "已开放", "ds": "writes-realtime-bus"}
    refused = await gql(env.url, REPLY, fulfil, token=citizen.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    replied = (await gql_data(env.url, REPLY, fulfil))["replyDataRequest"]
    assert replied == {"status": "fulfilled", "reply": "已开放", "dataset": "writes-realtime-bus"}
    bad = await gql(env.url, REPLY, {**fulfil, "ds": None})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    # a fulfilled request is closed: a later reply (a rejection sent to the wrong request) does not overwrite it
    late = await gql(env.url, REPLY, {**fulfil, "s": "rejected", "r": "不予开放", "ds": None})
    assert (
        late["errors"][0]["extensions"]["code"] == "CONFLICT" and "is fulfilled already" in late["errors"][0]["message"]
    )
    again = (await gql_data(env.url, REQUESTS, {"d": ORG}))["dataRequests"]["items"][0]
    assert again["status"] == "fulfilled"
    # a refusal may still be fulfilled once the data is published, and nothing else
    other = (await gql(env.url, SUBMIT, {**ask, "t": "希望开放停车场空位数据"}, token=citizen.token))["data"]
    second = {"id": other["submitDataRequest"]["id"], "s": "rejected", "r": "涉及商业秘密", "ds": None}
    assert (await gql_data(env.url, REPLY, second))["replyDataRequest"]["status"] == "rejected"
    changed = await gql(env.url, REPLY, {**second, "s": "replied", "r": "正在研究"})
    assert changed["errors"][0]["extensions"]["code"] == "CONFLICT"
    opened = await gql_data(env.url, REPLY, {**second, "s": "fulfilled", "r": "已开放", "ds": "writes-realtime-bus"})
    assert opened["replyDataRequest"]["status"] == "fulfilled"
    listed = (await gql_data(env.url, REQUESTS, {"d": ORG}))["dataRequests"]
    assert listed["total"] == 2 and {i["status"] for i in listed["items"]} == {"fulfilled"}
    app = (await gql_data(env.url, REGISTER, {"ds": ["writes-realtime-bus"]}))["registerOpenDataApp"]
    assert app == {"name": "停车助手", "datasets": ["writes-realtime-bus"]}
    apps = (await gql_data(env.url, APPS, {"id": "writes-realtime-bus"}))["dataset"]["apps"]
    assert apps == [{"name": "停车助手", "developer": "某公司"}]
    missing = await gql(env.url, REGISTER, {"ds": ["no-such-dataset"]})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for url in ("https://", "http:// app.example", "http://[::1"):  # a host is what makes it a link
        hostless = await gql(
            env.url, REGISTER.replace("https://app.example/park", url), {"ds": ["writes-realtime-bus"]}
        )
        assert hostless["errors"][0]["extensions"]["code"] == "BAD_INPUT", (url, hostless)


async def test_a_data_request_names_its_department_as_people_know_it(env: Env, settings: Settings) -> None:
    citizen = await person(env.pool, dataclasses.replace(settings, public_url=BASE), "od-titled")
    ask = {"t": "希望开放停车场泊位数据", "b": "用于找车位。", "d": " 写入测试局 "}
    made = (await gql(env.url, SUBMIT, ask, token=citizen.token))["data"]["submitDataRequest"]
    assert made["departmentTitle"] == "写入测试局"
    unknown = await gql(env.url, SUBMIT, {**ask, "d": "无此局"}, token=citizen.token)
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "named or titled '无此局'" in unknown["errors"][0]["message"]


async def test_a_cleared_title_and_an_impossible_size_are_answered_not_500(env: Env) -> None:
    """A title patched to nothing falls back to the name (as on create); a size past a bigint is a validation
    error naming the field: neither is an Internal Server Error."""
    await call(env.url, "package_create", name="writes-untitled", title="起初有标题", owner_org=ORG)
    patched = await call(env.url, "package_patch", id="writes-untitled", title=None)
    assert patched["title"] == "writes-untitled"
    cleared = 'mutation($c: JSON!) { patchDataset(id: "writes-untitled", changes: $c) { title } }'
    assert (await gql_data(env.url, cleared, {"c": {"title": "  "}}))["patchDataset"] == {"title": "writes-untitled"}
    huge = {"url": "https://files.example/huge.csv", "size": 10**23}
    with pytest.raises(ckanapi.errors.ValidationError) as refused:
        await call(env.url, "package_create", name="writes-huge", owner_org=ORG, resources=[huge])
    assert "size must be a natural number of bytes" in refused.value.error_dict["resources"][0]
    headers = {"Authorization": ADMIN_TOKEN}
    async with (
        aiohttp.ClientSession() as s,
        s.post(
            f"{env.url}/api/3/action/resource_create", json={"package_id": "writes-untitled", **huge}, headers=headers
        ) as r,
    ):
        assert r.status == 409 and (await r.json())["error"]["__type"] == "Validation Error"
    for size in ("²", "9" * 5000):  # a multipart form sends the size as text
        form = aiohttp.FormData({"package_id": "writes-untitled", "url": huge["url"], "size": size})
        async with (
            aiohttp.ClientSession() as s,
            s.post(f"{env.url}/api/3/action/resource_create", data=form, headers=headers) as r,
        ):
            assert r.status == 409, (size[:10], await r.text())

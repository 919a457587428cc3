"""The datastore through ckanapi: uploads (UTF-8 BOM, GBK, XLSX, GeoJSON) loaded with inferred or given types,
bad files refused with nothing made, datastore_search, datastore_search_sql against hostile SQL, and dumps."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import ckanapi
import openpyxl
import pytest

from core.opendata import dsearch, service
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import ADMIN_TOKEN, gql_data

pytestmark = pytest.mark.integration
ORG = "ds-test"
STATIONS = ["道里", "南岗", "香坊", "道外"]


def air_csv(days: int = 30) -> bytes:
    lines = ["日期,监测站,AQI,PM2.5,首要污染物"]
    for d in range(days):
        for i, s in enumerate(STATIONS):
            aqi = 40 + (d * 7 + i * 13) % 150
            lines.append(f"2024-03-{d % 28 + 1:02d},{s},{aqi},{aqi * 0.5},{'PM2.5' if aqi > 100 else ''}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


@dataclasses.dataclass
class Env:
    url: str
    settings: Settings
    air: str  # resource id of the air-quality table


async def call(url: str, action: str, *, key: str | None = ADMIN_TOKEN, **params: Any) -> Any:
    def run() -> Any:
        with ckanapi.RemoteCKAN(url, apikey=key) as remote:
            return getattr(remote.action, action)(**params)

    return await asyncio.to_thread(run)


def upload(name: str, data: bytes) -> tuple[str, io.BytesIO]:
    return (name, io.BytesIO(data))


@pytest.fixture(scope="module")
async def env(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Env]:
    opendata = dataclasses.replace(
        settings,
        public_url="http://opendata.test",
        opendata_site="opendata-ds",
        datastore_sql_timeout_ms=300,
        datastore_max_upload_bytes=64 * 1024,
        data_dir=tmp_path_factory.mktemp("opendata-ds"),
    )
    await service.ensure_domains(pg_pool, opendata)
    await service.ensure_organization(pg_pool, name=ORG, title="数据测试局")
    async with serve_api(opendata) as url:
        await call(
            url, "package_create", name="ds-air", title="空气质量日报", owner_org=ORG, groups=[{"name": "environment"}]
        )
        made = await call(url, "resource_create", package_id="ds-air", upload=upload("air.csv", air_csv()))
        yield Env(url=url, settings=opendata, air=made["id"])


async def test_upload_is_loaded_with_inferred_types(env: Env) -> None:
    shown = await call(env.url, "resource_show", id=env.air)
    assert shown["datastore_active"] and shown["format"] == "CSV" and shown["url_type"] == "upload"
    assert shown["size"] == len(air_csv()) and shown["hash"].startswith("sha256:")
    info = await call(env.url, "datastore_info", id=env.air)
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert types == {"日期": "date", "监测站": "text", "AQI": "int", "PM2.5": "numeric", "首要污染物": "text"}
    assert info["meta"]["count"] == 30 * len(STATIONS)
    async with aiohttp.ClientSession() as s, s.get(shown["url"].replace("http://opendata.test", env.url)) as r:
        assert r.status == 200 and await r.read() == air_csv()
    assert (await call(env.url, "resource_show", id=env.air))["download_count"] == 1


async def test_datastore_search(env: Env) -> None:
    everything = await call(env.url, "datastore_search", resource_id=env.air, limit=5)
    assert everything["total"] == 120 and len(everything["records"]) == 5 and everything["records"][0]["_id"] == 1
    assert everything["fields"][0] == {"id": "_id", "type": "int"} and everything["_links"]["next"].endswith("offset=5")
    one = await call(env.url, "datastore_search", resource_id=env.air, filters={"监测站": "道里"}, limit=100)
    assert one["total"] == 30 and {r["监测站"] for r in one["records"]} == {"道里"}
    two = await call(env.url, "datastore_search", resource_id=env.air, filters={"监测站": ["道里", "南岗"], "AQI": 40})
    assert all(r["AQI"] == 40 and r["监测站"] in ("道里", "南岗") for r in two["records"]) and two["total"] >= 1
    found = await call(env.url, "datastore_search", resource_id=env.air, q="香坊", fields=["监测站", "AQI"])
    assert found["total"] == 30 and set(found["records"][0]) == {"监测站", "AQI"}
    top = await call(env.url, "datastore_search", resource_id=env.air, sort="AQI desc, _id", limit=3)
    values = [r["AQI"] for r in top["records"]]
    highest = max(int(line.split(",")[2]) for line in air_csv().decode("utf-8-sig").splitlines()[1:])
    assert values == sorted(values, reverse=True) and values[0] == highest
    page = await call(env.url, "datastore_search", resource_id=env.air, offset=118, limit=10, include_total=False)
    assert [r["_id"] for r in page["records"]] == [119, 120] and "total" not in page
    distinct = await call(
        env.url, "datastore_search", resource_id=env.air, fields="监测站", distinct=True, sort="监测站"
    )
    assert distinct["total"] == 4 and sorted(r["监测站"] for r in distinct["records"]) == sorted(STATIONS)
    for bad in ({"filters": {"nope": 1}}, {"filters": {"AQI": "high"}}, {"sort": "nope"}, {"fields": ["nope"]}):
        with pytest.raises(ckanapi.errors.ValidationError):
            await call(env.url, "datastore_search", resource_id=env.air, **bad)
    with pytest.raises(ckanapi.errors.NotFound):
        await call(env.url, "datastore_search", resource_id="00000000-0000-0000-0000-000000000000")


async def test_encodings_formats_and_overrides(env: Env) -> None:
    await call(env.url, "package_create", name="ds-files", owner_org=ORG)
    gbk = "学校名称,在校生数\n哈尔滨市第一中学,1200\n哈尔滨市第二中学,980\n".encode("gbk")
    made = await call(env.url, "resource_create", package_id="ds-files", upload=upload("schools.csv", gbk))
    rows = (await call(env.url, "datastore_search", resource_id=made["id"]))["records"]
    assert [r["学校名称"] for r in rows] == ["哈尔滨市第一中学", "哈尔滨市第二中学"] and rows[0]["在校生数"] == 1200
    schema = {"fields": [{"name": "学校名称", "type": "string"}, {"name": "在校生数", "type": "string"}]}
    kept = await call(
        env.url, "resource_create", package_id="ds-files", schema=json.dumps(schema), upload=upload("s.csv", gbk)
    )
    assert (await call(env.url, "datastore_search", resource_id=kept["id"]))["records"][0]["在校生数"] == "1200"
    book = openpyxl.Workbook()
    book.active.append(["区", "人口（万人）"])
    book.active.append(["道里区", 95.2])
    book.active.append(["南岗区", 120])
    data = io.BytesIO()
    book.save(data)
    sheet = await call(env.url, "resource_create", package_id="ds-files", upload=upload("pop.xlsx", data.getvalue()))
    info = await call(env.url, "datastore_info", id=sheet["id"])
    assert {f["id"]: f["type"] for f in info["fields"]}["人口（万人）"] == "numeric" and info["meta"]["count"] == 2
    geo = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [10.5, 20.25]},
                "properties": {"名称": "甲"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[11, 21], [12.5, 19]]},
                "properties": {"名称": "乙", "级别": 2},
            },
        ],
    }
    await call(env.url, "resource_create", package_id="ds-files", upload=upload("p.geojson", json.dumps(geo).encode()))
    assert (await call(env.url, "package_show", id="ds-files"))["bbox"] == [10.5, 19.0, 12.5, 21.0]
    found = await call(env.url, "package_search", ext_bbox="12,20,13,22")
    assert [r["name"] for r in found["results"]] == ["ds-files"]


BAD_FILES = [
    ("ragged", b"a,b\n1,2\n3\n4,5,6\n", None, "line 3"),
    (
        "not a type",
        b"a,b\n1,2\nx,3\n",
        {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"}]},
        "line 3",
    ),
    ("schema names", b"a,b\n1,2\n", {"fields": [{"name": "a", "type": "integer"}]}, "field names"),
    ("encoding", b"a,b\n\xff\xfe\xfa,1\n", None, "neither UTF-8 nor GB18030"),
]


@pytest.mark.parametrize(("what", "data", "schema", "says"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
async def test_bad_files_make_nothing(env: Env, what: str, data: bytes, schema: Any, says: str) -> None:
    before = len((await call(env.url, "package_show", id="ds-air"))["resources"])
    extra = {"schema": json.dumps(schema)} if schema else {}
    with pytest.raises(ckanapi.errors.ValidationError) as caught:
        await call(env.url, "resource_create", package_id="ds-air", upload=upload("bad.csv", data), **extra)
    assert says in caught.value.error_dict["message"]
    assert len((await call(env.url, "package_show", id="ds-air"))["resources"]) == before
    uploads = Path(env.settings.data_dir) / "opendata" / "uploads"
    assert len(list(uploads.iterdir())) == len({p.name for p in uploads.iterdir() if any(p.iterdir())})


async def test_search_sql(env: Env) -> None:
    sql = f'select "监测站", count(*) as n, max("AQI") as top from "{env.air}" group by "监测站" order by "监测站"'
    result = await call(env.url, "datastore_search_sql", sql=sql)
    assert len(result["records"]) == 4 and all(r["n"] == 30 for r in result["records"])
    joined = await call(
        env.url, "datastore_search_sql", sql=f'with t as (select * from "{env.air}") select count(*) as n from t'
    )
    assert joined["records"] == [{"n": 120}]


HOSTILE = [
    ("sleep", "select pg_sleep(5) from {t}", "pg_sleep"),
    ("set_config", "select set_config('statement_timeout', '0', false) from {t}", "set_config"),
    ("catalog", "select * from pg_catalog.pg_authid", "not a datastore table"),
    ("other table", "select * from documents", "not a datastore resource table"),
    ("other schema", "select * from public.opendata_api_keys", "not a datastore table"),
    ("two statements", "select * from {t}; drop table {t}", "one statement"),
    ("insert", 'insert into {t} ("AQI") values (1)', "only SELECT"),
    ("delete", "delete from {t}", "only SELECT"),
    ("select into", "select * into stolen from {t}", "SELECT INTO"),
    ("for update", "select * from {t} for update", "locking"),
    ("dblink", "select * from dblink('host=x', 'select 1') as x(a int)", "dblink"),
    ("file", "select pg_read_file('/etc/passwd') from {t}", "pg_read_file"),
    ("subquery fn", "select (select current_setting('data_directory')) from {t}", "current_setting"),
    ("copy", "copy {t} to '/tmp/x'", "only SELECT"),
    ("timeout", "select count(*) from {t} a, {t} b, {t} c, {t} d", "statement timeout"),
    ("garbage", "selec * fro", "only SELECT"),
]


@pytest.mark.parametrize(("what", "sql", "says"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_hostile_sql_is_refused(env: Env, pg_pool: asyncpg.Pool, what: str, sql: str, says: str) -> None:
    with pytest.raises(ckanapi.errors.ValidationError) as caught:
        await call(env.url, "datastore_search_sql", key=None, sql=sql.format(t=f'"{env.air}"'))
    assert says in caught.value.error_dict["message"], caught.value.error_dict
    assert await pg_pool.fetchval(f'select count(*) from datastore."{env.air}"') == 120


async def test_dump(env: Env) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{env.url}/datastore/dump/{env.air}") as r:
            assert r.status == 200 and r.content_type == "text/csv"
            rows = list(csv.reader(io.StringIO(await r.text())))
        async with s.get(f"{env.url}/datastore/dump/{env.air}?format=json") as r:
            body = json.loads(await r.text())
        async with s.get(f"{env.url}/datastore/dump/00000000-0000-0000-0000-000000000000") as r:
            assert r.status == 404
    assert rows[0] == ["_id", "日期", "监测站", "AQI", "PM2.5", "首要污染物"] and len(rows) == 121
    used = (await gql_data(env.url, USAGE, {"id": "ds-air"}))["dataset"]["usage"]
    assert len(used) == 1 and used[0]["apiCalls"] >= 10 and used[0]["downloads"] >= 3  # the file once, dumps twice
    shown = await call(env.url, "package_show", id="ds-air")
    assert shown["tracking_summary"]["total"] >= 1 and shown["tracking_summary"]["recent"] >= 1
    assert rows[1][:4] == ["1", "2024-03-01", "道里", "40"]
    assert len(body["records"]) == 120 and body["records"][0][:4] == [1, "2024-03-01", "道里", 40]


async def test_dump_for_excel_in_parts_and_as_tsv(env: Env) -> None:
    """CKAN's dump parameters: a byte-order mark (Excel reads a UTF-8 CSV without one as the local code page, and a
    Chinese table comes out garbled), a slice of the rows, tab-separated values; a bad one answers which."""
    base = f"{env.url}/datastore/dump/{env.air}"
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{base}?bom=true&offset=100&limit=5") as r:
            raw = await r.read()
        async with s.get(f"{base}?format=tsv&limit=2") as r:
            assert r.content_type == "text/tab-separated-values"
            tsv = (await r.text()).splitlines()
        async with s.get(f"{base}?limit=-3") as r:
            bad = (r.status, await r.json())
        async with s.get(f"{base}?format=xls") as r:
            unknown = (r.status, await r.text())
    assert raw.startswith(b"\xef\xbb\xbf_id,")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[0] for r in rows] == ["_id", "101", "102", "103", "104", "105"]
    assert (
        tsv[0] == "_id\t日期\t监测站\tAQI\tPM2.5\t首要污染物"
        and len(tsv) == 3
        and tsv[1].startswith("1\t2024-03-01\t道里")
    )
    assert bad == (
        409,
        {"success": False, "error": {"__type": "Validation Error", "limit": ["Must be a natural number"]}},
    )
    assert unknown[0] == 400 and "csv, tsv or json" in unknown[1]


async def test_a_filtered_search_answers_the_same_past_the_one_pass_size(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filtered search reads few matching rows once for its page and total, and more by a page and a count: the
    same answer either way (ONE_PASS_ROWS lowered to 5 so that 30 matches take the second way, the first time after
    a pass that found them too many, then straight)."""
    asked = {"filters": {"监测站": "道里"}, "sort": "AQI desc, _id", "offset": 3, "limit": 4}
    one_pass = await call(env.url, "datastore_search", resource_id=env.air, **asked)
    monkeypatch.setattr(dsearch, "ONE_PASS_ROWS", 5)
    two = await call(env.url, "datastore_search", resource_id=env.air, **asked)
    wide = await call(env.url, "datastore_search", resource_id=env.air, **asked)  # known wide: straight to two
    assert one_pass == two == wide and one_pass["total"] == 30 and len(one_pass["records"]) == 4
    aqi = [r["AQI"] for r in one_pass["records"]]
    assert aqi == sorted(aqi, reverse=True) and {r["监测站"] for r in one_pass["records"]} == {"道里"}


async def test_searches_see_a_reload_and_a_dataset_made_private_at_once(env: Env) -> None:
    """datastore_search keeps a table's columns between searches; a reload with other types and columns, and the
    dataset made private, are answered by the very next search, and each search is counted once."""
    await call(env.url, "package_create", name="ds-reloaded", owner_org=ORG)
    made = await call(
        env.url, "resource_create", package_id="ds-reloaded", upload=upload("r.csv", b"code,n\nA,1\nB,2\n")
    )
    rid = made["id"]
    first = await call(env.url, "datastore_search", key=None, resource_id=rid, filters={"n": 2})
    assert first["total"] == 1 and first["records"][0]["code"] == "B"
    reloaded = b"code,n,note\nA,x,new\nB,2,old\nC,2,old\n"  # n is text now, note is new
    await call(env.url, "resource_patch", id=rid, upload=upload("r.csv", reloaded))
    twos = await call(env.url, "datastore_search", key=None, resource_id=rid, filters={"n": "2"})
    assert twos["total"] == 2 and [r["n"] for r in twos["records"]] == ["2", "2"]
    new = await call(env.url, "datastore_search", key=None, resource_id=rid, filters={"note": "new"})
    assert new["total"] == 1 and new["records"][0]["n"] == "x"
    await call(env.url, "package_patch", id="ds-reloaded", private=True)
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "datastore_search", key=None, resource_id=rid)
    used = (await gql_data(env.url, USAGE, {"id": "ds-reloaded"}))["dataset"]["usage"]
    assert [u["apiCalls"] for u in used] == [3]


USAGE = """query($id: String!) { dataset(id: $id) { usage(days: 7) { day views apiCalls downloads } } }"""
QUALITY = """query($id: String!) { dataset(id: $id) { quality { kind column count lines summary } } }"""


async def test_quality_review(env: Env, pg_pool: asyncpg.Pool) -> None:
    await call(env.url, "package_create", name="ds-quality", owner_org=ORG, update_frequency="每日")
    rows = ["站点,人数,备注"] + [f"站{i},{i * 10},{'有' if i % 2 else ''}" for i in range(12)]
    rows += ["站3,30,有", "站20,未知,"]  # a repeat of line 5, and a count that is not a number
    made = await call(
        env.url, "resource_create", package_id="ds-quality", upload=upload("q.csv", "\n".join(rows).encode())
    )
    found = {f["kind"]: f for f in (await gql_data(env.url, QUALITY, {"id": "ds-quality"}))["dataset"]["quality"]}
    assert found["duplicate"]["count"] == 1 and found["duplicate"]["lines"] == [14]
    assert found["type"]["column"] == "人数" and found["type"]["lines"] == [15]
    assert found["missing"]["column"] == "备注" and found["missing"]["count"] == 7
    assert "drift" not in found and "stale" not in found
    new = "站点,人数,地址\n站1,5,道里\n".encode()
    patched = await call(env.url, "resource_patch", id=made["id"], upload=upload("q2.csv", new))
    assert patched["size"] == len(new) and patched["id"] == made["id"]
    assert (await call(env.url, "datastore_search", resource_id=made["id"]))["records"] == [
        {"_id": 1, "站点": "站1", "人数": 5, "地址": "道里"}
    ]
    await pg_pool.execute(  # five days pass: a daily dataset is stale
        "update opendata_datasets set metadata_modified = now() - interval '5 days' where name = 'ds-quality'"
    )
    await pg_pool.execute(
        "update opendata_resources set last_modified = now() - interval '5 days' where id = $1::uuid", made["id"]
    )
    found = {f["kind"]: f for f in (await gql_data(env.url, QUALITY, {"id": "ds-quality"}))["dataset"]["quality"]}
    assert "删除 备注" in found["drift"]["summary"] and "新增 地址" in found["drift"]["summary"]
    assert "人数 string→integer" in found["drift"]["summary"]
    assert found["stale"]["count"] >= 4 and "每日" in found["stale"]["summary"]


async def test_too_large_uploads_are_refused(env: Env) -> None:
    for size in (100_000, 2 * 1024 * 1024):  # past the limit; past it and the form's slack (refused unread)
        data = b"a,b\n" + b"1,2\n" * (size // 4)
        with pytest.raises(ckanapi.errors.ValidationError) as caught:
            await call(env.url, "resource_create", package_id="ds-air", upload=upload("big.csv", data))
        assert "larger than" in caught.value.error_dict["upload"][0]


async def test_a_cell_past_the_inference_sample_decides(env: Env) -> None:
    """Types are inferred from a sample of a big file; a later cell that does not fit makes every row decide."""
    rows = ["编号,数量"] + [f"{i},{i % 97}" for i in range(6000)]
    rows[5004] = "5003,无"  # past the first 2,000 rows, between the sampled ones (every 2nd after them)
    await call(env.url, "package_create", name="ds-sample", owner_org=ORG)
    made = await call(
        env.url, "resource_create", package_id="ds-sample", upload=upload("s.csv", "\n".join(rows).encode())
    )
    types = {f["id"]: f["type"] for f in (await call(env.url, "datastore_info", id=made["id"]))["fields"]}
    assert types == {"编号": "int", "数量": "text"}
    found = (await gql_data(env.url, QUALITY, {"id": "ds-sample"}))["dataset"]["quality"]
    assert [(f["kind"], f["column"], f["lines"]) for f in found] == [("type", "数量", [5005])]


async def test_private_tables_need_an_admin(env: Env) -> None:
    await call(env.url, "package_create", name="ds-private", owner_org=ORG, private=True)
    made = await call(env.url, "resource_create", package_id="ds-private", upload=upload("p.csv", b"a,b\n1,2\n"))
    assert (await call(env.url, "datastore_search", resource_id=made["id"]))["total"] == 1
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "datastore_search", key=None, resource_id=made["id"])
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(env.url, "datastore_search_sql", key=None, sql=f'select * from "{made["id"]}"')
    async with aiohttp.ClientSession() as s, s.get(f"{env.url}/datastore/dump/{made['id']}") as r:
        assert r.status == 403

"""The CKAN Action API as `ckanapi` (the real client) sees it, over a real server and a small demo catalogue:
read actions, search with fq and facets, CKAN's error envelope and status codes, and DCAT parsed by rdflib."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import ckanapi
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from core.bus import Bus
from core.opendata.links import links_to_check
from core.opendata.tabular import read_table
from core.settings import Settings
from ops.demo.opendata import DEPARTMENTS, is_loaded, load_demo
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql, gql_data

pytestmark = pytest.mark.integration
DATASETS = 96  # two per department


@pytest.fixture(scope="module")
async def ckan_url(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[str]:
    opendata = dataclasses.replace(settings, public_url="http://opendata.test", opendata_site="opendata-ckan")
    await load_demo(pool=pg_pool, bus=bus, settings=opendata, datasets=DATASETS)
    async with serve_api(opendata) as url:
        yield url


async def call(url: str, action: str, **params: Any) -> Any:
    """One action through ckanapi's RemoteCKAN (synchronous: run in a thread beside the server's loop)."""

    def run() -> Any:
        with ckanapi.RemoteCKAN(url) as remote:
            return getattr(remote.action, action)(**params)

    return await asyncio.to_thread(run)


async def raw(url: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s, s.request(method, f"{url}{path}", **kwargs) as r:
        return r.status, json.loads(await r.text())


async def test_catalogue_lists(ckan_url: str) -> None:
    status = await call(ckan_url, "status_show")
    assert status["ckan_version"].startswith("2.") and "datastore" in status["extensions"]
    names = await call(ckan_url, "package_list")
    assert len(names) >= DATASETS and "gaj-0000" in names and names == sorted(names)
    assert await call(ckan_url, "package_list", limit=5, offset=1) == names[1:6]
    orgs = await call(ckan_url, "organization_list")
    assert {slug for slug, _, _ in DEPARTMENTS} <= set(orgs) and len(DEPARTMENTS) == 48
    full = await call(ckan_url, "organization_list", all_fields=True, sort="name asc", limit=3)
    assert [o["name"] for o in full] == sorted(orgs)[:3] and full[0]["package_count"] >= 2
    groups = await call(ckan_url, "group_list", all_fields=True)
    assert len(groups) == 14 and {"公共安全", "信用服务"} <= {g["title"] for g in groups}
    tags = await call(ckan_url, "tag_list")
    assert "2024" in tags and await call(ckan_url, "tag_list", query="202") == [t for t in tags if "202" in t]


async def test_package_show_and_resource_show(ckan_url: str) -> None:
    pkg = await call(ckan_url, "package_show", id="gaj-0000")
    assert pkg["organization"]["name"] == "gaj" and pkg["organization"]["title"] == "哈尔滨市公安局"
    assert pkg["groups"][0]["title"] in ("公共安全", "道路交通") and pkg["num_resources"] == len(pkg["resources"])
    assert pkg["update_frequency"] and pkg["temporal_start"] and pkg["maintainer_email"].endswith("harbin.example")
    assert (await call(ckan_url, "package_show", id=pkg["id"]))["name"] == "gaj-0000"
    resource = pkg["resources"][0]
    shown = await call(ckan_url, "resource_show", id=resource["id"])
    assert shown["package_id"] == pkg["id"] and shown["datastore_active"] is True  # gaj-0000 holds a table
    with pytest.raises(ckanapi.errors.NotFound):
        await call(ckan_url, "package_show", id="no-such-dataset")
    with pytest.raises(ckanapi.errors.NotFound):
        await call(ckan_url, "resource_show", id="00000000-0000-0000-0000-000000000000")


async def test_package_search_filters_sort_and_paging(ckan_url: str) -> None:
    everything = await call(ckan_url, "package_search", rows=0)
    assert everything["count"] >= DATASETS and everything["results"] == []
    by_org = await call(ckan_url, "package_search", fq="organization:gaj", rows=100)
    assert by_org["count"] == 2 and {r["organization"]["name"] for r in by_org["results"]} == {"gaj"}
    by_group = await call(ckan_url, "package_search", fq="+groups:transport +organization:jtj")
    assert all(r["groups"][0]["name"] == "transport" and r["owner_org"] for r in by_group["results"])
    sorted_page = await call(ckan_url, "package_search", sort="name asc", rows=5, start=2)
    names = [r["name"] for r in sorted_page["results"]]
    assert names == sorted(names) and sorted_page["sort"] == "name asc"
    first = await call(ckan_url, "package_search", sort="name asc", rows=7)
    assert [r["name"] for r in first["results"]][2:7] == names
    pdf = await call(ckan_url, "package_search", fq="res_format:pdf", rows=1000)
    assert pdf["count"] > 0 and all(any(x["format"] == "PDF" for x in r["resources"]) for r in pdf["results"])
    not_pdf = await call(ckan_url, "package_search", fq="-res_format:PDF", rows=0)
    assert not_pdf["count"] + pdf["count"] == everything["count"]


async def test_current_package_list_with_resources_pages_the_newest_first(ckan_url: str) -> None:
    """CKAN's listing for harvesters: whole datasets with resources, most recently modified first, paged."""
    first = await call(ckan_url, "current_package_list_with_resources", limit=5)
    stamps = [d["metadata_modified"] for d in first]
    assert len(first) == 5 and stamps == sorted(stamps, reverse=True) and all("resources" in d for d in first)
    newest = await call(ckan_url, "package_search", sort="metadata_modified desc", rows=7)
    assert [d["name"] for d in first] == [d["name"] for d in newest["results"]][:5]
    after = await call(ckan_url, "current_package_list_with_resources", limit=2, offset=5)
    assert [d["name"] for d in after] == [d["name"] for d in newest["results"]][5:7]
    public = (await call(ckan_url, "package_search", rows=0))["count"]
    assert len(await call(ckan_url, "current_package_list_with_resources", limit=5000)) == min(1000, public)
    with pytest.raises(ckanapi.errors.ValidationError):
        await call(ckan_url, "current_package_list_with_resources", offset=-1)


async def test_package_search_text_and_facets(ckan_url: str) -> None:
    pkg = await call(ckan_url, "package_show", id="jyj-0001")
    topic = pkg["tags"][0]["name"]
    found = await call(ckan_url, "package_search", q=topic, rows=100)
    assert found["count"] >= 1 and "jyj-0001" in [r["name"] for r in found["results"]]
    assert all(topic in r["title"] + r["notes"] + " ".join(t["name"] for t in r["tags"]) for r in found["results"])
    tagged = await call(ckan_url, "package_search", fq=f'tags:"{topic}"', rows=100)
    assert {r["name"] for r in tagged["results"]} <= {r["name"] for r in found["results"]}
    word = pkg["title"][:2]  # CKAN's text fields in q and fq: title:招商 searches titles (it was read as free text)
    titled = await call(ckan_url, "package_search", q=f"title:{word}", rows=100)
    assert "jyj-0001" in [r["name"] for r in titled["results"]]
    assert all(word in r["title"] for r in titled["results"])
    noted = await call(ckan_url, "package_search", fq=f'notes:"{pkg["notes"][:6]}"', rows=100)
    assert "jyj-0001" in [r["name"] for r in noted["results"]]
    assert all(pkg["notes"][:6] in r["notes"] for r in noted["results"])
    facets = await call(
        ckan_url, "package_search", rows=0, **{"facet.field": json.dumps(["organization", "groups", "res_format"])}
    )
    org_items = facets["search_facets"]["organization"]["items"]
    assert facets["search_facets"]["organization"]["title"] == "organization"
    gaj = next(i for i in org_items if i["name"] == "gaj")
    assert gaj == {"name": "gaj", "display_name": "哈尔滨市公安局", "count": 2}
    assert facets["facets"]["organization"]["gaj"] == 2
    assert {"CSV", "PDF"} <= {i["name"] for i in facets["search_facets"]["res_format"]["items"]}
    demo = await call(
        ckan_url, "package_search", fq="organization:(gaj OR jyj OR kjj)", **{"facet.field": '["groups"]'}
    )
    assert demo["count"] == 6 and sum(i["count"] for i in demo["search_facets"]["groups"]["items"]) == 6
    nothing = {
        "count": 0,
        "results": [],
        "facets": {},
        "search_facets": {},
        "sort": "score desc, metadata_modified desc",
    }
    assert await call(ckan_url, "package_search", q="无此词语无此词语", rows=1) == nothing


async def test_spatial_search(ckan_url: str) -> None:
    inside = await call(ckan_url, "package_search", ext_bbox="126.0,45.6,126.9,46.0")
    assert [r["name"] for r in inside["results"]] == ["kjj-0002"]  # the demo's GeoJSON of car parks
    bbox = inside["results"][0]["bbox"]
    assert 125.7 <= bbox[0] <= bbox[2] <= 127.0 and any(e["key"] == "spatial" for e in inside["results"][0]["extras"])
    outside = await call(ckan_url, "package_search", ext_bbox="-50,-50,-40,-40")
    assert outside["count"] == 0


BAD: list[tuple[str, str, dict[str, Any], int, Callable[[Any], bool]]] = [
    ("unknown action", "GET", {}, 400, lambda body: body == "Bad request: Action name not known: no_such_action"),
    ("not JSON", "POST", {"data": b"{not json"}, 400, lambda body: body.startswith("Bad request: JSON Error")),
    ("JSON not an object", "POST", {"json": [1, 2]}, 400, lambda body: "dictionary" in body),
]


@pytest.mark.parametrize(("what", "method", "kwargs", "status", "check"), BAD, ids=[b[0] for b in BAD])
async def test_bad_requests(
    ckan_url: str, what: str, method: str, kwargs: dict[str, Any], status: int, check: Callable[[Any], bool]
) -> None:
    action = "no_such_action" if what == "unknown action" else "package_search"
    code, body = await raw(ckan_url, method, f"/api/3/action/{action}", **kwargs)
    assert code == status and isinstance(body, str) and check(body), (code, body)


async def test_error_envelopes_and_status_codes(ckan_url: str) -> None:
    code, body = await raw(ckan_url, "GET", "/api/3/action/package_show?id=missing")
    assert code == 404 and body["success"] is False and body["error"]["__type"] == "Not Found Error"
    assert body["help"].endswith("/api/3/action/help_show?name=package_show") and "result" not in body
    code, body = await raw(ckan_url, "GET", "/api/action/package_search?rows=many")
    assert code == 409 and body["error"] == {"__type": "Validation Error", "rows": ["Invalid integer"]}
    code, body = await raw(ckan_url, "POST", "/api/action/package_search", json={"start": -1})
    assert code == 409 and body["error"]["start"] == ["Must be a natural number"]
    code, body = await raw(ckan_url, "GET", "/api/3/action/package_search?fq=nonsense:1")
    assert code == 400 and body["error"]["__type"] == "Search Query Error"
    huge = "9" * 20  # past a bigint: every page number and offset, where they were a 500
    table = next(
        r["id"] for r in (await call(ckan_url, "package_show", id="gaj-0000"))["resources"] if r["datastore_active"]
    )
    for path in ("package_search?start=", "package_list?offset=", "package_list?limit=", "datastore_search?offset="):
        code, body = await raw(ckan_url, "GET", f"/api/3/action/{path}{huge}&resource_id={table}")
        assert code == 409 and body["error"][path.split("?")[1][:-1]] == [f"Must be at most {2**63 - 1}"], path
    code, body = await raw(ckan_url, "GET", "/api/3/action/package_search?sort=colour%20desc")
    assert code == 400 and body["error"]["__type"] == "Search Query Error"
    # Solr would read OR, NOT or a bare word in fq otherwise than as one more clause: refused, not dropped
    for fq in ("organization:gaj OR organization:jyj", "res_format:CSV AND (", "gaj"):
        code, body = await raw(ckan_url, "GET", "/api/3/action/package_search", params={"fq": fq})
        assert code == 400 and "fq: cannot read" in body["error"]["message"], fq
    code, body = await raw(
        ckan_url, "GET", "/api/3/action/package_search", params={"fq": "organization:gaj AND +res_format:CSV"}
    )
    assert code == 200 and body["success"] is True
    code, body = await raw(ckan_url, "POST", "/api/3/action/package_create", json={"name": "x"})
    assert code == 403 and body["error"]["__type"] == "Authorization Error"
    code, body = await raw(ckan_url, "GET", "/api/3/action/package_search?rows=5000")
    assert code == 200 and body["success"] is True and body["result"]["count"] >= DATASETS
    code, posted = await raw(ckan_url, "POST", "/api/3/action/package_search", json={"fq": "organization:gaj"})
    code2, got = await raw(ckan_url, "GET", "/api/3/action/package_search?fq=organization:gaj")
    assert code == code2 == 200 and posted["result"] == got["result"]
    with pytest.raises(ckanapi.errors.ValidationError):
        await call(ckan_url, "package_search", rows="abc")
    with pytest.raises(ckanapi.errors.NotAuthorized):
        await call(ckan_url, "package_delete", id="gaj-0000")


async def test_every_help_link_answers_what_its_action_takes(ckan_url: str) -> None:
    """Every response links to help_show for its action: that link answers, for every action the API has."""
    from core.opendata.actions import ACTIONS

    code, body = await raw(ckan_url, "GET", "/api/3/action/package_search?rows=1")
    async with aiohttp.ClientSession() as s, s.get(body["help"]) as r:
        helped = json.loads(await r.text())
    assert r.status == 200 and helped["success"] is True and "rows" in helped["result"] and "fq" in helped["result"]
    for action in ACTIONS:
        assert isinstance(await call(ckan_url, "help_show", name=action), str), action
    code, body = await raw(ckan_url, "GET", "/api/3/action/help_show?name=package_explode")
    assert code == 404 and body["error"]["__type"] == "Not Found Error"
    assert "Action function not found: package_explode" in body["error"]["message"]
    code, body = await raw(ckan_url, "GET", "/api/3/action/help_show")
    assert code == 409 and body["error"]["__type"] == "Validation Error" and "name" in body["error"]


async def test_dcat(ckan_url: str) -> None:
    pkg_title = (await call(ckan_url, "package_show", id="gaj-0000"))["title"]
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{ckan_url}/dataset/gaj-0000.ttl") as r:
            assert r.status == 200 and r.content_type == "text/turtle"
            ttl = await r.text()
        async with s.get(f"{ckan_url}/catalog.jsonld") as r:
            jsonld = await r.text()
        async with s.get(f"{ckan_url}/dataset/jyj-0001.rdf") as r:
            xml = await r.text()
        async with s.get(f"{ckan_url}/dataset/no-such.ttl") as r:
            assert r.status == 404
        for page in ("0", "-4", "99999999999999999999", "abc"):  # 0 and -4 served page 1; the last a 500
            async with s.get(f"{ckan_url}/catalog.ttl", params={"page": page}) as r:
                assert r.status == 400 and "page must be" in await r.text(), page
    one = Graph().parse(data=ttl, format="turtle")
    node = URIRef("http://opendata.test/dataset/gaj-0000")
    assert (node, RDF.type, DCAT.Dataset) in one
    assert str(one.value(node, DCTERMS.title)) == pkg_title
    dists = list(one.objects(node, DCAT.distribution))
    assert dists and all(one.value(d, DCAT.downloadURL) is not None for d in dists)
    with warnings.catch_warnings():  # rdflib's own JSON-LD parser builds a ConjunctiveGraph, which it deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        catalog = Graph().parse(data=jsonld, format="json-ld")
    datasets = set(catalog.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) >= DATASETS and node in datasets
    assert len(list(catalog.subjects(RDF.type, DCAT.Catalog))) == 1
    rdf = Graph().parse(data=xml, format="xml")
    assert (URIRef("http://opendata.test/dataset/jyj-0001"), RDF.type, DCAT.Dataset) in rdf


DATASETS_QUERY = """query($q: String!, $f: OpenDatasetFilters) {
  datasets(query: $q, filters: $f, pageSize: 5) {
    total items { name title department { name title } domain { title } resources { format } }
    departments { name title count } domains { name count } formats { name count }
  }
}"""
DATASET_QUERY = """query($id: String!) {
  dataset(id: $id) { name bbox resources { name datastoreActive preview(rows: 3) { fields rows } } }
}"""
CREATE = """mutation($p: JSON!) { createDataset(package: $p) { name department { name } } }"""


async def test_graphql(ckan_url: str) -> None:
    data = await gql_data(ckan_url, DATASETS_QUERY, {"q": "", "f": {"departments": ["gaj", "jyj"]}})
    page = data["datasets"]
    assert page["total"] == 4 and len(page["items"]) == 4
    assert {d["name"]: d["count"] for d in page["departments"]} == {"gaj": 2, "jyj": 2}
    assert {d["title"] for d in page["departments"]} == {"哈尔滨市公安局", "哈尔滨市教育局"}
    assert sum(d["count"] for d in page["domains"]) == 4
    one = (await gql_data(ckan_url, DATASET_QUERY, {"id": "jyj-0001"}))["dataset"]
    preview = one["resources"][0]["preview"]
    assert one["resources"][0]["datastoreActive"] and preview["fields"][0] == "学校名称" and len(preview["rows"]) == 3
    assert preview["rows"][0][0].startswith("哈尔滨市第1") and isinstance(preview["rows"][0][3], int)
    assert (await gql_data(ckan_url, DATASET_QUERY, {"id": "kjj-0002"}))["dataset"]["bbox"][0] >= 125.7
    missing = await gql(ckan_url, DATASET_QUERY, {"id": "nope"})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    package = {"name": "gql-made", "title": "图形接口建的", "owner_org": "gaj"}
    refused = await gql(ckan_url, CREATE, {"p": package}, token=None)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    made = (await gql_data(ckan_url, CREATE, {"p": package}))["createDataset"]
    assert made == {"name": "gql-made", "department": {"name": "gaj"}}
    assert (await call(ckan_url, "package_show", id="gql-made"))["title"] == "图形接口建的"
    bad = await gql(ckan_url, CREATE, {"p": {"name": "Bad Name", "owner_org": "gaj"}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT" and "name" in bad["errors"][0]["message"]


async def test_demo_resources_are_files_served_here_that_the_link_check_leaves_alone(
    ckan_url: str, pg_pool: asyncpg.Pool
) -> None:
    found = await call(ckan_url, "package_search", fq="organization:(gaj OR jyj OR kjj OR jtj)", rows=20)
    shown = [r for pkg in found["results"] for r in pkg["resources"]]
    assert {r["format"] for r in shown} >= {"CSV", "GEOJSON", "PDF"} and len(shown) >= 10
    async with aiohttp.ClientSession() as s:
        for resource in shown:
            assert resource["url_type"] == "upload" and resource["url"].startswith("http://opendata.test/dataset/")
            async with s.get(ckan_url + resource["url"].removeprefix("http://opendata.test")) as r:
                data = await r.read()
                assert r.status == 200, resource["url"]
            assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}" and resource["size"] == len(data)
            if resource["format"] in ("CSV", "XLSX"):  # the made-up tables read as the datastore reads uploads
                table = read_table(data, resource["format"])
                assert table.rows and len(table.header) == len(table.rows[0]) >= 5
    due = {rid for rid, _ in await links_to_check(pool=pg_pool, now=datetime.now(UTC) + timedelta(days=2))}
    assert not due & {r["id"] for r in shown}  # nothing of the demo for the daily check to find broken
    assert await is_loaded(pg_pool, "jtj-0011")
    set_type = (
        "update opendata_resources r set url_type = $1 from opendata_datasets d where d.id = r.dataset_id"
        " and d.name = 'jtj-0011' and r.position = 0"
    )
    await pg_pool.execute(set_type, "")
    assert not await is_loaded(pg_pool, "jtj-0011")  # a demo of before, with links: `yiwang up` loads it again
    await pg_pool.execute(set_type, "upload")


async def test_package_search_reads_the_operators_of_q_as_solr_does(ckan_url: str) -> None:
    """`-word`, `NOT word`, `AND` and `+word` in q were read as words: `公交 -线路` found the datasets holding both, and
    `公交 AND 线路` nothing (no dataset holds "and"); OR is refused, as in fq, rather than read otherwise."""

    async def names(q: str) -> set[str]:
        found = await call(ckan_url, "package_search", q=q, rows=1000)
        assert found["count"] == len(found["results"]), q
        return {r["name"] for r in found["results"]}

    topic = (await call(ckan_url, "package_show", id="jyj-0001"))["tags"][0]["name"]
    every = await names("哈尔滨")  # every demo department is 哈尔滨市…
    both = await names(f"哈尔滨 {topic}")
    assert "jyj-0001" in both and both < every
    assert await names(f"哈尔滨 AND {topic}") == await names(f"+哈尔滨 +{topic}") == both
    assert await names(f"哈尔滨 -{topic}") == await names(f"哈尔滨 NOT {topic}") == every - both
    code, body = await raw(ckan_url, "GET", "/api/3/action/package_search", params={"q": f"哈尔滨 OR {topic}"})
    assert code == 400 and body["error"]["__type"] == "Search Query Error"
    assert "cannot read OR" in body["error"]["message"]
    query = "query($q: String!) { datasets(query: $q, pageSize: 100) { total } }"
    datasets = await gql_data(ckan_url, query, {"q": f"哈尔滨 -{topic}"})
    assert datasets["datasets"]["total"] == len(every - both)

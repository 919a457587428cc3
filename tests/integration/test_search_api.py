"""GraphQL search over a real API server: hits, rewrites, scenes, pins, synonyms, suggest, clicks, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg
import pytest

from core.bus import PageFetched
from core.clock import local_date
from core.documents import apply_pages, get_document
from core.search import IndexDoc
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from core.sites import parse_sites, sync_sites
from tests.integration.graphql import gql
from tests.polling import eventually

pytestmark = pytest.mark.integration

SITES = "sites:\n  - {id: srch-portal, name: 搜索测试市, level: 市, start_urls: ['http://127.0.0.1:1/']}\n"
PIN_URL = "http://127.0.0.1:1/srch/pinned.html"


def _docs(pinned_id: str) -> list[IndexDoc]:
    return [
        IndexDoc(id="srch-1", url="http://127.0.0.1:1/srch/1.html", title="广州市社会保障卡申领指南", kind="service",
                 text="社保卡 申领 办理地点 社会保障卡", site="srch-portal", theme=["社会保障"], audience=["个人"],
                 region="广东省广州市"),
        IndexDoc(id="srch-2", url="http://127.0.0.1:1/srch/2.html",
                 title="国务院办公厅关于推进政务新媒体健康有序发展的意见", kind="policy", text="各省 政务新媒体",
                 site="srch-portal", doc_no="国办发〔2018〕123号",
                 doc_no_normalized="国办发〔2018〕123号", published_at=date(2018, 12, 27)),
        IndexDoc(id="srch-3", url="http://127.0.0.1:1/srch/3.html", title="社会保障卡政策解读", kind="interpretation",
                 text="社会保障卡 解读", site="srch-portal", published_at=date(2024, 1, 5)),
        IndexDoc(id=pinned_id, url=PIN_URL, title="置顶的公告", kind="notice", text="年度通告", site="srch-portal"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
async def indexed(api_url: str, settings: Settings, pg_pool: asyncpg.Pool) -> str:
    await sync_sites(pg_pool, parse_sites(SITES))
    page = PageFetched(site_id="srch-portal", url=PIN_URL, status=200, content_hash="p1",
                       fetched_at="2026-01-01T00:00:00+00:00", kind="notice", title="置顶的公告",
                       text="年度通告")  # fmt: skip
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, [page])
    pinned_id = (await get_document(pg_pool, url=PIN_URL)).id
    writer = TantivyEngine(settings.data_dir)
    await writer.open()
    await writer.upsert(_docs(pinned_id))
    await writer.close()
    # the API's caches notice the new document count within seconds
    await eventually(
        lambda: gql(api_url, '{ search(query: "shebaoka") { total interpreted { searched } } }'),
        lambda out: out["data"]["search"]["interpreted"]["searched"] == "社保卡",
        timeout=15,
    )
    return pinned_id


HITS = "hits { documentId title titleHighlighted snippet kind docNo pinned position }"


async def test_search_returns_hits_facets_and_a_search_id(api_url: str, indexed: str) -> None:
    out = await gql(api_url, f'{{ search(query: "社会保障卡") {{ searchId total {HITS} didYouMean }} }}')
    s = out["data"]["search"]
    assert s["total"] >= 2 and len(s["searchId"].split(".")[0]) == 32  # nonce . what it served . signature
    assert s["hits"][0]["documentId"] in ("srch-1", "srch-3") and "<em>" in s["hits"][0]["titleHighlighted"]
    assert [h["position"] for h in s["hits"]] == list(range(1, len(s["hits"]) + 1))


async def test_doc_no_and_pinyin_rewrites_are_reported(api_url: str, indexed: str) -> None:
    out = await gql(api_url, '{ search(query: "国办发[2018]123号") { hits { documentId } interpreted { message } } }')
    s = out["data"]["search"]
    assert s["hits"][0]["documentId"] == "srch-2" and "文号" in s["interpreted"]["message"]
    out = await gql(api_url, '{ search(query: "shebaoka") { hits { documentId } interpreted { searched message } } }')
    s = out["data"]["search"]
    assert s["interpreted"]["searched"] == "社保卡" and s["interpreted"]["message"].startswith("已为您搜索")
    assert s["hits"][0]["documentId"] in ("srch-1", "srch-3")


async def test_scenes_facets_and_service_guide_filters(api_url: str, indexed: str) -> None:
    out = await gql(api_url, '{ search(query: "社会保障卡") { scenes { name count } facets { field } } }')
    scenes = {s["name"]: s["count"] for s in out["data"]["search"]["scenes"]}
    assert scenes["办事服务"] >= 1 and scenes["政策解读"] >= 1 and scenes["开放数据"] == 0
    assert "kind" in [f["field"] for f in out["data"]["search"]["facets"]]
    filters = '{theme: ["社会保障"], audience: ["个人"], region: ["广东省广州市"]}'
    q = f'{{ search(query: "社会保障卡", filters: {filters}) {{ total }} }}'
    assert (await gql(api_url, q))["data"]["search"]["total"] == 1


async def test_scenes_and_facets_asked_for_through_fragments_are_filled(api_url: str, indexed: str) -> None:
    # only what is selected is computed; a frontend selecting through fragments must still get it
    q = """query { search(query: "社会保障卡") { total ...Groups ... on SearchResult { facets { field } } } }
           fragment Groups on SearchResult { scenes { name count } }"""
    s = (await gql(api_url, q))["data"]["search"]
    assert {x["name"]: x["count"] for x in s["scenes"]}["办事服务"] >= 1
    assert "kind" in [f["field"] for f in s["facets"]]
    bare = (await gql(api_url, '{ search(query: "社会保障卡") { total facets { field } } }'))["data"]["search"]
    assert bare["total"] == s["total"] and bare["facets"] == s["facets"]


async def test_pin_puts_a_document_first_marked_pinned_and_unpin_removes_it(api_url: str, indexed: str) -> None:
    pin = await gql(api_url, 'mutation($d: ID!) { pinResult(query: "社会保障卡", documentId: $d) { query } }',
                    {"d": indexed})  # fmt: skip
    assert pin["data"]["pinResult"]["query"] == "社会保障卡"
    s = (await gql(api_url, f'{{ search(query: "社会保障卡") {{ {HITS} }} }}'))["data"]["search"]
    assert s["hits"][0]["documentId"] == indexed and s["hits"][0]["pinned"] is True
    assert not any(h["pinned"] for h in s["hits"][1:])
    out = await gql(api_url, 'mutation($d: ID!) { unpinResult(query: "社会保障卡", documentId: $d) }', {"d": indexed})
    assert out["data"]["unpinResult"] is True
    s = (await gql(api_url, f'{{ search(query: "社会保障卡") {{ {HITS} }} }}'))["data"]["search"]
    assert not any(h["pinned"] for h in s["hits"])
    bad = await gql(
        api_url, 'mutation { pinResult(query: "x", documentId: "00000000-0000-0000-0000-000000000000") { query } }'
    )
    assert bad["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_synonyms_can_be_added_listed_and_removed(api_url: str, indexed: str) -> None:
    out = await gql(api_url, 'mutation { addSynonym(colloquial: "新媒体号", official: "政务新媒体") { source } }')
    assert out["data"]["addSynonym"]["source"] == "admin"
    s = (await gql(api_url, '{ search(query: "新媒体号") { hits { documentId } interpreted { searched } } }'))["data"]
    assert s["search"]["hits"][0]["documentId"] == "srch-2" and s["search"]["interpreted"]["searched"] == "政务新媒体"
    listed = await gql(api_url, '{ synonyms(contains: "新媒体号") { total items { official source } } }')
    assert listed["data"]["synonyms"]["total"] == 1
    out = await gql(api_url, 'mutation { removeSynonym(colloquial: "新媒体号") }')
    assert out["data"]["removeSynonym"] == 1


async def test_suggest_and_record_click(api_url: str, indexed: str) -> None:
    out = await gql(api_url, '{ suggest(prefix: "社会保障", limit: 5) { text source } }')
    assert any(s["text"].startswith("社会保障") for s in out["data"]["suggest"])
    found = (await gql(api_url, '{ search(query: "社会保障卡") { searchId hits { documentId } } }'))["data"]["search"]
    click = "mutation($s: String!, $d: ID!) { recordClick(searchId: $s, documentId: $d, position: 1) }"
    out = await gql(api_url, click, {"s": found["searchId"], "d": found["hits"][0]["documentId"]})
    assert out["data"]["recordClick"] is True


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ('{ search(query: "") { total } }', "empty"),
        ('{ search(query: "？！。，、") { total } }', "empty"),
        ('{ search(query: "社保 OR 1=1; DROP TABLE documents; -- \\" title:( AND * ~ ^2 [a TO z]") { total } }', "ok"),
        ('{ search(query: "😀社保卡🎉 ka") { total } }', "ok"),
        ('{ search(query: "社会保障卡", page: 999) { total hits { title } } }', "past"),
        ('{ search(query: "社会保障卡", pageSize: 1000) { total } }', "BAD_INPUT"),
        ('{ search(query: "社保", filters: {fields: [{field: "colour", values: ["red"]}]}) { total } }', "BAD_INPUT"),
        ('{ search(query: "after:2019-13") { total } }', "BAD_INPUT"),
        ('{ search(query: "社保 before:9999") { total } }', "BAD_INPUT"),
        ('{ search(query: "社保", filters: {publishedAfter: "0001-01-01"}) { total } }', "BAD_INPUT"),
        (
            '{ search(query: "社保", filters: {publishedAfter: "2026-06-01", publishedBefore: "2025-01-01"}) '
            "{ total } }",
            "BAD_INPUT",
        ),
        ('{ search(query: "社保", filters: {level: ["县"]}) { total } }', "BAD_INPUT"),
        ('{ search(query: "社保", filters: {year: ["2024年"]}) { total } }', "BAD_INPUT"),
        ('{ search(query: "社保", filters: {year: ["1800"]}) { total } }', "BAD_INPUT"),
        ('{ search(query: "社保", filters: {year: ["2024", "9999"]}) { total } }', "BAD_INPUT"),
        ('{ search(query: "社保", filters: {site: ["DROP TABLE"]}) { total } }', "BAD_INPUT"),
        ('{ recordClick(searchId: "nope", documentId: "x", position: 1) }', "BAD_INPUT"),
        ('{ suggest(prefix: "社", limit: 500) { text } }', "BAD_INPUT"),
    ],
)
async def test_bad_input_is_a_clear_error_or_a_sensible_empty_result(
    api_url: str, indexed: str, query: str, expect: str
) -> None:
    if query.startswith("{ recordClick"):
        query = "mutation " + query
    out = await gql(api_url, query)
    if expect == "BAD_INPUT":
        assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT" and out["errors"][0]["message"]
    else:
        assert "errors" not in out, out
        s = out["data"]["search"]
        assert s["total"] == 0 if expect == "empty" else s["total"] >= 0
        if expect == "past":
            assert s["hits"] == [] and s["total"] >= 2


async def test_a_year_filter_out_of_range_names_the_range_as_policies_does(api_url: str, indexed: str) -> None:
    next_year = local_date(datetime.now(UTC)).year + 1
    query = 'query($y: [String!]) { search(query: "社会保障卡", filters: {year: $y}) { total } }'
    for year in ("1899", str(next_year + 1), "0000"):
        out = await gql(api_url, query, {"y": [year]})
        assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT", year
        assert f"filter 'year': {year} is not between 1900 and {next_year}" in out["errors"][0]["message"]
    for year in ("1900", str(next_year)):  # the ends of the range are years a document may have
        assert "errors" not in await gql(api_url, query, {"y": [year]}), year


async def test_a_date_operator_out_of_range_is_bad_input_as_the_year_filter_is(api_url: str, indexed: str) -> None:
    next_year = local_date(datetime.now(UTC)).year + 1
    query = "query($q: String!, $f: SearchFilters) { search(query: $q, filters: $f) { total } }"
    for raw, filters, says in (
        ("社会保障卡 before:1800", None, "operator 'before:': 1800 is not between 1900"),
        (f"社会保障卡 after:{next_year + 1}-01", None, f"operator 'after:': {next_year + 1}-01 is not between 1900"),
        ("社会保障卡", {"publishedBefore": "1800-01-01"}, "filter 'publishedBefore': 1800-01-01 is not between 1900"),
    ):
        out = await gql(api_url, query, {"q": raw, "f": filters})
        assert out.get("errors"), (raw, out)
        assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT", raw
        assert f"{says} and {next_year}" in out["errors"][0]["message"], out
    found = await gql(api_url, query, {"q": f"社会保障卡 after:1900 before:{next_year}", "f": None})
    assert found["data"]["search"]["total"] >= 1, "the ends of the range are dates an operator may name"


async def test_a_ten_thousand_character_query_and_an_unknown_filter_field(api_url: str, indexed: str) -> None:
    out = await gql(api_url, "query($q: String!) { search(query: $q) { total } }", {"q": "社" * 10_000})
    assert out["errors"][0]["extensions"]["code"] == "BAD_INPUT" and "too long" in out["errors"][0]["message"]
    out = await gql(api_url, '{ search(query: "社保", filters: {colour: ["red"]}) { total } }')
    assert (
        out["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        and "colour" in out["errors"][0]["message"]
    )


PAGING = [  # (url, kind, title, text): three documents of one rare query, to page through one at a time
    ("http://127.0.0.1:1/srch/paging-a.html", "service", "翻页置顶测试甲", "翻页置顶测试 翻页置顶测试 翻页置顶测试"),
    ("http://127.0.0.1:1/srch/paging-b.html", "notice", "翻页置顶测试乙", "翻页置顶测试"),
    ("http://127.0.0.1:1/srch/paging-c.html", "service", "其他丙", "翻页置顶测试"),
]
PAGE = '{ search(query: "翻页置顶测试", page: %d, pageSize: %d%s) { total hits { documentId pinned position } } }'


async def _paging_documents(settings: Settings, pg_pool: asyncpg.Pool) -> list[str]:
    pages = [
        PageFetched(
            site_id="srch-portal",
            url=url,
            status=200,
            content_hash=url,
            kind=kind,
            title=title,
            text=text,
            fetched_at="2026-01-01T00:00:00+00:00",
            published_at="2026-01-02",
        )
        for url, kind, title, text in PAGING
    ]
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, pages)
    ids = [(await get_document(pg_pool, url=url)).id for url, *_ in PAGING]
    writer = TantivyEngine(settings.data_dir)
    await writer.open()
    await writer.upsert(
        [
            IndexDoc(
                id=i, url=url, title=title, kind=kind, text=text, site="srch-portal", published_at=date(2026, 1, 2)
            )
            for i, (url, kind, title, text) in zip(ids, PAGING, strict=True)
        ]
    )
    await writer.close()
    return ids


async def test_pages_after_a_pin_neither_repeat_it_nor_skip_a_document(
    api_url: str, indexed: str, settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    ids = await _paging_documents(settings, pg_pool)
    ranked = await eventually(
        lambda: gql(api_url, PAGE % (1, 10, "")), lambda out: out["data"]["search"]["total"] == 3, timeout=15
    )
    engine_order = [h["documentId"] for h in ranked["data"]["search"]["hits"]]
    second = ids[1]  # the notice (the filters below leave it out), wherever the engine ranks it among near-ties
    engine_order = [second, *(d for d in engine_order if d != second)]
    out = await gql(
        api_url, 'mutation($d: ID!) { pinResult(query: "翻页置顶测试", documentId: $d) { query } }', {"d": second}
    )
    assert "errors" not in out, out
    walked = [(await gql(api_url, PAGE % (page, 1, "")))["data"]["search"] for page in (1, 2, 3, 4)]
    shown = [(h["documentId"], h["pinned"], h["position"]) for s in walked for h in s["hits"]]
    assert shown == [(second, True, 1), (engine_order[1], False, 2), (engine_order[2], False, 3)], (
        "the pinned document first, then the others once each in their order"
    )
    assert [s["total"] for s in walked] == [3, 3, 3, 3]
    # a pin does not break the searcher's filters: the pinned notice is not among 办事服务 nor before 2026
    for filters in ('filters: {kind: ["service"]}', 'filters: {publishedBefore: "2025-12-31"}'):
        s = (await gql(api_url, PAGE % (1, 10, ", " + filters)))["data"]["search"]
        assert second not in [h["documentId"] for h in s["hits"]] and not any(h["pinned"] for h in s["hits"])
    kinds = {
        h["documentId"]
        for h in (await gql(api_url, PAGE % (1, 10, ', filters: {kind: ["notice"]}')))["data"]["search"]["hits"]
        if h["pinned"]
    }
    assert kinds == {second}, "a pin that passes the filters still leads"
    await gql(api_url, 'mutation($d: ID!) { unpinResult(query: "翻页置顶测试", documentId: $d) }', {"d": second})


async def test_the_total_counts_pins_the_query_does_not_match_and_the_last_page_ends_it(
    api_url: str, indexed: str, settings: Settings, pg_pool: asyncpg.Pool
) -> None:
    ids = await _paging_documents(settings, pg_pool)
    await eventually(lambda: gql(api_url, PAGE % (1, 10, "")), lambda out: out["data"]["search"]["total"] == 3)
    pin = 'mutation($d: ID!) { pinResult(query: "翻页置顶测试", documentId: $d) { query } }'
    for doc in (indexed, ids[0]):  # the notice 置顶的公告 does not hold the query's words; 翻页置顶测试甲 does
        assert "errors" not in (out := await gql(api_url, pin, {"d": doc})), out
    walked = [(await gql(api_url, PAGE % (page, 1, "")))["data"]["search"] for page in (1, 2, 3, 4, 5)]
    assert [s["total"] for s in walked] == [4] * 5, "three matches and the pin that matches nothing else"
    shown = [h["documentId"] for s in walked for h in s["hits"]]
    assert len(shown) == 4 and set(shown) == {indexed, *ids} and walked[4]["hits"] == [], "the last page is the 4th"
    last = (await gql(api_url, PAGE % (2, 3, "")))["data"]["search"]
    assert last["total"] == 4 and len(last["hits"]) == 1
    # a pin the filters leave out is not counted: two services match, the pinned one among them
    services = (await gql(api_url, PAGE % (1, 10, ', filters: {kind: ["service"]}')))["data"]["search"]
    assert services["total"] == len(services["hits"]) == 2
    for doc in (indexed, ids[0]):
        await gql(api_url, 'mutation($d: ID!) { unpinResult(query: "翻页置顶测试", documentId: $d) }', {"d": doc})

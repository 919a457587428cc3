"""What one anonymous request may cost, attacked over real HTTP: query cost budget, batched and cached resolvers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

import core.monitoring.inventory
import schema.context
from core.bus import PageFetched
from core.documents import apply_pages
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql, gql_data
from tests.integration.search_fixtures import make_site

pytestmark = pytest.mark.integration


def aliases(body: str, n: int = 30) -> str:
    return "{ " + " ".join(f"a{i}: {body}" for i in range(n)) + " }"


ATTACKS = {
    "relatedServices of 100 policies x30": aliases("policies(pageSize: 100) { items { relatedServices { url } } }"),
    "inventoryComparison 30 times": aliases("inventoryComparison { items { siteId documents } }"),
    "whole-index search with facets and scenes 30 times": aliases(
        'search(query: "-x") { total facets { field values { value count } } scenes { hits { title } } }'
    ),
}


class Calls:
    """A spy around a real function: it still runs; the test counts how often and with what."""

    def __init__(self, real: Any) -> None:
        self.real, self.args = real, []

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.args.append(args)
        return await self.real(*args, **kwargs)


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, Calls]:
    found = {
        "related": Calls(schema.context.related_services),
        "compare": Calls(core.monitoring.inventory.compare_sites),
    }
    monkeypatch.setattr(schema.context, "related_services", found["related"])
    monkeypatch.setattr(core.monitoring.inventory, "compare_sites", found["compare"])
    return found


@pytest.fixture(scope="module")
async def api(settings: Settings) -> AsyncIterator[str]:
    """The default budget (MAX_QUERY_COST 1000) and the default depth limit, unlike the shared test API."""
    async with serve_api(settings) as url:
        yield url


@pytest.fixture(scope="module")
async def library(pg_pool: asyncpg.Pool) -> dict[str, str]:
    """Three policies and two service guides: one names policy 0's title, one names policy 1's 文号."""
    site = await make_site(pg_pool)
    titles = [f"示范市稳岗返还实施办法第{i}号文件" for i in range(3)]
    pages = [_page(site, f"zc/{i}.html", t, "正文……", kind="policy") for i, t in enumerate(titles)]
    pages += [
        _page(site, "bszn/1.html", "稳岗返还申领指南", f"依据《{titles[0]}》办理。", kind="service"),
        _page(site, "bszn/2.html", "技能补贴申领指南", "依据示人社发〔2031〕7号办理。", kind="service"),
    ]
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, pages)
    ids = {}
    for i, title in enumerate(titles):
        doc = await pg_pool.fetchval("select id from documents where url = $1", pages[i].url)
        await pg_pool.execute(
            """insert into policies (document_id, title, names, published_date, simhash, band0, band1, band2, band3,
                                     canonical_id, content_hash)
               values ($1, $2, array[$2], $3, 0, 0, 0, 0, 0, $1, 'h')""",
            doc,
            title,
            datetime(2031, 1, 1 + i, tzinfo=UTC).date(),
        )
        ids[title] = str(doc)
    await pg_pool.execute(
        "insert into policy_doc_nos values ($1, 0, '示人社发', 2031, 7, '示人社发〔2031〕7号')", ids[titles[1]]
    )
    return {"site": site, **{f"p{i}": ids[t] for i, t in enumerate(titles)}}


def _page(site: str, path: str, title: str, text: str, *, kind: str) -> PageFetched:
    return PageFetched(
        site_id=site,
        url=f"https://{site}.example.gov.cn/{path}",
        status=200,
        content_hash=hashlib.sha256(f"{title}{text}".encode()).hexdigest(),
        fetched_at=datetime.now(UTC).isoformat(),
        kind=kind,
        title=title,
        text=text,
        published_at="2031-01-05",
    )


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
async def test_alias_attacks_are_refused_before_anything_runs(
    api: str, library: dict[str, str], spies: dict[str, Calls], attack: str
) -> None:
    out = await gql(api, ATTACKS[attack], token=None)
    [error] = out["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_EXPENSIVE", error
    assert "budget of 1000" in error["message"] and "MAX_QUERY_COST" in error["message"]
    cost = int(error["message"].split("would cost ")[1].split(",")[0])
    assert cost > 1000 and out.get("data") is None
    assert spies["related"].args == [] and spies["compare"].args == [], "nothing ran"


async def test_fragments_and_variables_are_counted(api: str, library: dict[str, str]) -> None:
    # Two full pages of policies with their services, through a fragment and a variable: over the budget.
    q = """query($n: Int!) { ...F a: policies(pageSize: 1) { total } }
           fragment F on Query { b: policies(pageSize: $n) { items { relatedServices { url } } }
                                 c: policies(page: 2, pageSize: $n) { items { relatedServices { url } } } }"""
    out = await gql(api, q, {"n": 100}, token=None)
    assert out["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"
    out = await gql(api, q, {"n": 20}, token=None)
    assert not out.get("errors"), out


async def test_ordinary_portal_queries_stay_within_the_budget(api: str, library: dict[str, str]) -> None:
    results_page = """query($q: String!) { search(query: $q, page: 1, pageSize: 20) { total searchId didYouMean
        hits { documentId title titleHighlighted url snippet site kind publishedAt docNo copies { url site } }
        facets { field values { value count } } scenes { key name count hits { title url } } related
        answers { kind title text items } interpreted { searched rewrites { kind original replacement } } } }"""
    await gql_data(api, results_page, {"q": "稳岗返还"})
    policy_page = """query($id: ID!) { policy(id: $id) { title docNos issuers validity copies { url }
        interpretations { title kind } responses { title } qa { question answer } relatedServices { title url } } }"""
    await gql_data(api, policy_page, {"id": library["p0"]})
    listing = """{ policies(pageSize: 20) { total items { id title docNos validity relatedServices { title } }
        issuers { value count } years { value count } themes { value count } validities { value count } } }"""
    await gql_data(api, listing)
    await gql_data(
        api, "{ inventoryComparison { items { siteId documents byKind { kind count } } } sites { id name } }"
    )
    await gql_data(api, '{ suggest(prefix: "wen", limit: 10) { text } hotQueries(window: DAY) { query } }')


async def test_related_services_of_a_whole_page_are_one_statement(
    api: str, library: dict[str, str], spies: dict[str, Calls]
) -> None:
    q = """{ policies(pageSize: 50) { items { id relatedServices { title } } } }"""
    items = {p["id"]: p["relatedServices"] for p in (await gql_data(api, q))["policies"]["items"]}
    assert items[library["p0"]] == [{"title": "稳岗返还申领指南"}]
    assert items[library["p1"]] == [{"title": "技能补贴申领指南"}]
    assert items[library["p2"]] == []
    [(_pool, ids)] = spies["related"].args
    assert set(ids) == set(items) and len(items) >= 3, "one statement for every policy of the page"


async def test_inventory_comparison_is_read_once_and_cached(
    settings: Settings, pg_pool: asyncpg.Pool, library: dict[str, str], spies: dict[str, Calls]
) -> None:
    before = await pg_pool.fetchval("select count(*) from site_list where id < $1", library["site"])
    page = before // 100 + 1  # the library's site is on this page of 100
    body = f"inventoryComparison(page: {page}, pageSize: 100) {{ total items {{ siteId documents }} }}"
    five = aliases(body, 5)  # 5 × (100 + 1): within the budget
    async with serve_api(settings, inventory_cache_s=60.0) as api:  # a new process cache
        first = await gql_data(api, five)
        again = await gql_data(api, "{ " + body + " }")
        assert first["a0"] == first["a4"] == again["inventoryComparison"]
        items = again["inventoryComparison"]["items"]
        assert any(s["siteId"] == library["site"] and s["documents"] == 5 for s in items)
        assert len(spies["compare"].args) == 1, "six answers, one read of the page's inventories"
        await gql_data(api, '{ inventoryComparison(level: "区县") { items { siteId } } }')
        assert len(spies["compare"].args) == 2, "cached per level"
        await gql_data(api, f"{{ inventoryComparison(page: {page + 1}, pageSize: 100) {{ total }} }}")
        assert len(spies["compare"].args) == 3, "cached per page"

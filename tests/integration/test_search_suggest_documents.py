"""全网搜 through GraphQL: documents suggested while typing, policies' interpretations under their hits, weather."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged, PageFetched
from core.documents import apply_pages, get_document
from core.policy import ThemeClassifier, apply_document
from core.policy.queries import explained_by, explained_by_many
from core.search.projection import index_docs
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql, gql_data
from tests.integration.search_fixtures import make_site
from tests.polling import eventually

pytestmark = pytest.mark.integration

FARM, BERTH = "鹦鹉螺湾海洋牧场管理办法", "鹦鹉螺湾渔船停泊补助实施细则"
THEME = {"theme": "农业、林业、水利\\渔业", "issuer": "示范市海洋局"}
SUGGEST = """query($p: String!, $n: Int! = 3) { suggestDocuments(prefix: $p, perGroup: $n) { key name
             documents { documentId title url site siteName column kind } } }"""


def fetched(site: str, path: str, title: str, text: str, kind: str, column: str, **meta: str) -> PageFetched:
    digest = hashlib.sha256(f"{title}|{text}|{kind}".encode()).hexdigest()
    return PageFetched(
        site_id=site,
        url=f"https://{site}.example.gov.cn/{path}",
        status=200,
        content_hash=digest,
        fetched_at=datetime.now(UTC).isoformat(),
        kind=kind,
        title=title,
        text=text,
        column=column,
        meta=meta,
    )


def pages(site: str) -> list[PageFetched]:
    return [
        fetched(
            site,
            "zcwj/1.html",
            FARM,
            "为规范海洋牧场建设，制定本办法。",
            "policy",
            "政策文件",
            doc_no="示海发〔2026〕8号",
            **THEME,
        ),
        fetched(
            site,
            "zcwj/2.html",
            BERTH,
            "为支持渔船安全停泊，制定本细则。",
            "policy",
            "政策文件",
            doc_no="示海发〔2026〕9号",
            **THEME,
        ),
        fetched(
            site,
            "zcjd/1.html",
            f"《{FARM}》政策解读",
            "近日，市海洋局印发了（示海发〔2026〕8号）。现解读如下。",
            "interpretation",
            "政策解读",
        ),
        fetched(
            site, "zcjd/2.html", f"一图读懂《{FARM}》", "图解：示海发〔2026〕8号 的要点。", "interpretation", "政策解读"
        ),
        fetched(
            site,
            "zcjd/3.html",
            f"《{BERTH}》解读",
            "市海洋局印发了示海发〔2026〕9号，现解读如下。",
            "interpretation",
            "政策解读",
        ),
        fetched(site, "xw/1.html", "鹦鹉螺湾开海节开幕", "开海节今日开幕。", "news", "新闻动态"),
        *(
            fetched(site, f"bs/{i}.html", f"鹦鹉螺湾{what}办事指南", "办理地点：政务服务中心。", "service", "办事服务")
            for i, what in enumerate(("海洋牧场准入申请", "渔船登记", "休闲渔业许可", "海域使用权登记"))
        ),
    ]


def news(data: dict[str, Any]) -> list[str]:
    return [d["title"] for g in data["suggestDocuments"] if g["key"] == "news" for d in g["documents"]]


async def seed(pool: asyncpg.Pool, bus: Bus, data_dir: Any, events: list[PageFetched]) -> list[DocumentChanged]:
    """What the indexer, the policy library and the search projector do with these pages, then the news."""
    async with pool.acquire() as conn, conn.transaction():
        changes = await apply_pages(conn, events)
    for change in changes:
        await apply_document(pool, await get_document(pool, id=change.document_id), ThemeClassifier(pool))
    upserts, _ = await index_docs(pool, [c.document_id for c in changes])
    writer = TantivyEngine(data_dir)
    await writer.open()
    await writer.upsert(upserts)
    await writer.close()
    for change in changes:
        await bus.publish(change)
    return changes


@pytest.fixture(scope="module")
async def api(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[tuple[str, str]]:
    site = await make_site(pg_pool, level="市")
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(conn, [fetched(site, "xw/0.html", "鹦鹉螺湾旅游季启动", "旅游季启动。", "news", "新闻动态")])
    async with serve_api(settings, weather_provider="demo", weather_city="郑州") as url:
        yield url, site


async def test_documents_are_suggested_grouped_by_kind_with_their_column_and_site(
    api: tuple[str, str], pg_pool: asyncpg.Pool, bus: Bus, settings: Settings
) -> None:
    url, site = api
    # the page stored before the API started is in the index it builds at start-up
    first = await eventually(lambda: gql_data(url, SUGGEST, {"p": "鹦鹉螺湾"}), lambda d: d["suggestDocuments"])
    assert [d["title"] for g in first["suggestDocuments"] for d in g["documents"]] == ["鹦鹉螺湾旅游季启动"]
    await seed(pg_pool, bus, settings.data_dir, pages(site))  # heard as DocumentChanged: no rebuild needed
    out = await eventually(
        lambda: gql_data(url, SUGGEST, {"p": "鹦鹉螺湾"}), lambda d: len(d["suggestDocuments"]) >= 4, timeout=20
    )
    groups = {g["name"]: g["documents"] for g in out["suggestDocuments"]}
    assert list(groups) == ["办事服务", "政策文件", "政策解读", "新闻动态"]
    assert set(news(out)) == {"鹦鹉螺湾开海节开幕", "鹦鹉螺湾旅游季启动"}
    assert len(groups["办事服务"]) == 3, "at most perGroup documents a group"
    assert {d["title"] for d in groups["政策文件"]} == {FARM, BERTH}
    farm = next(d for d in groups["政策文件"] if d["title"] == FARM)
    assert farm["url"] == f"https://{site}.example.gov.cn/zcwj/1.html" and farm["column"] == "政策文件"
    assert (farm["site"], farm["siteName"], farm["kind"]) == (site, f"测试站点{site}", "policy")
    # pinyin and initials of a word inside the title, one per group
    by_pinyin = (await gql_data(url, SUGGEST, {"p": "haiyangmuchang", "n": 1}))["suggestDocuments"]
    firsts = {g["key"]: g["documents"][0]["title"] for g in by_pinyin}
    assert firsts.pop("interpretation") in (f"一图读懂《{FARM}》", f"《{FARM}》政策解读")
    assert firsts == {"service": "鹦鹉螺湾海洋牧场准入申请办事指南", "policy": FARM}
    assert all(len(g["documents"]) == 1 for g in by_pinyin)
    by_initials = (await gql_data(url, SUGGEST, {"p": "yctb"}))["suggestDocuments"]
    assert {d["title"] for g in by_initials for d in g["documents"]} >= {BERTH, f"《{BERTH}》解读"}
    # the existing completions answer as before, beside the documents in one request
    both = await gql_data(
        url,
        '{ suggest(prefix: "鹦鹉螺湾", limit: 5) { text source } '
        'suggestDocuments(prefix: "鹦鹉螺湾", perGroup: 1) { name } }',
    )
    assert isinstance(both["suggest"], list) and len(both["suggestDocuments"]) == 4
    # a document that is gone is no longer suggested
    gone = PageFetched(
        site_id=site,
        url=f"https://{site}.example.gov.cn/xw/1.html",
        status=404,
        content_hash="",
        fetched_at=datetime.now(UTC).isoformat(),
        gone=True,
    )
    async with pg_pool.acquire() as conn, conn.transaction():
        [change] = await apply_pages(conn, [gone])
    await bus.publish(change)
    await eventually(lambda: gql_data(url, SUGGEST, {"p": "鹦鹉螺湾"}), lambda d: news(d) == ["鹦鹉螺湾旅游季启动"])


async def test_bad_suggestion_input_is_a_clear_error(api: tuple[str, str]) -> None:
    url, _ = api
    for variables, what in (
        ({"p": "鹦" * 51}, "too long"),
        ({"p": "鹦鹉", "n": 0}, "perGroup"),
        ({"p": "鹦鹉", "n": 11}, "perGroup"),
    ):
        error = (await gql(url, SUGGEST, variables))["errors"][0]
        assert error["extensions"]["code"] == "BAD_INPUT" and what in error["message"]
    assert (await gql_data(url, SUGGEST, {"p": "？！ "}))["suggestDocuments"] == []


async def test_policy_hits_carry_their_interpretations(
    api: tuple[str, str], pg_pool: asyncpg.Pool, bus: Bus, settings: Settings
) -> None:
    url, site = api
    query = """{ search(query: "鹦鹉螺湾", filters: {kind: ["policy"]}) { hits { title kind
                 interpretations { title url kind } } } }"""
    if not await pg_pool.fetchval("select count(*) from documents where site_id = $1 and kind = 'policy'", site):
        await seed(pg_pool, bus, settings.data_dir, pages(site))
    out = await eventually(lambda: gql_data(url, query), lambda d: len(d["search"]["hits"]) == 2, timeout=20)
    shown = {h["title"]: {(i["title"], i["kind"]) for i in h["interpretations"]} for h in out["search"]["hits"]}
    assert shown == {
        FARM: {(f"《{FARM}》政策解读", "文字解读"), (f"一图读懂《{FARM}》", "图解")},
        BERTH: {(f"《{BERTH}》解读", "文字解读")},
    }
    others = await gql_data(
        url,
        '{ search(query: "鹦鹉螺湾", filters: {kind: ["service", "news"]}) { hits { interpretations { title } } } }',
    )
    assert others["search"]["hits"] and all(h["interpretations"] == [] for h in others["search"]["hits"])
    # the batched read answers what the policy page's own resolver answers, policy by policy
    ids = [
        str(
            await pg_pool.fetchval(
                "select id::text from documents where url = $1", f"https://{site}.example.gov.cn/zcwj/{n}.html"
            )
        )
        for n in (1, 2)
    ]
    many = await explained_by_many(pg_pool, [*ids, "not-a-uuid"], "interpretation")
    assert many == {**{i: await explained_by(pg_pool, i, "interpretation") for i in ids}, "not-a-uuid": []}


async def test_weather_questions_get_a_labelled_demo_answer(api: tuple[str, str]) -> None:
    url, _ = api
    query = "query($q: String!) { search(query: $q) { answers { kind title text source } } }"
    tomorrow = (await gql_data(url, query, {"q": "明天郑州天气怎么样"}))["search"]["answers"]
    assert [a["kind"] for a in tomorrow] == ["weather"] and tomorrow[0]["title"].startswith("郑州明天")
    assert "演示数据" in tomorrow[0]["text"] and "演示数据" in tomorrow[0]["source"]
    for q in ("今天天气", "天气"):  # the configured city (WEATHER_CITY)
        answers = (await gql_data(url, query, {"q": q}))["search"]["answers"]
        assert answers[0]["title"].startswith("郑州今天")
    assert (await gql_data(url, query, {"q": "海洋牧场"}))["search"]["answers"] == []

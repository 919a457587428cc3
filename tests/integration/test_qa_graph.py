"""The service graph over real Postgres: built from stored guides, rebuilt idempotently, asked through GraphQL."""

from __future__ import annotations

import json

import asyncpg
import pytest

from core.bus import Bus
from core.documents.importer import import_documents
from core.qa.graph import store as graph_store
from core.qa.service import QaService
from tests.integration.graphql import gql, gql_data
from tests.integration.search_fixtures import make_site

pytestmark = pytest.mark.integration
# Names no other module's data uses: the graph is shared by every test of the session.
LAW = "图谱示范市鹦鹉饲养管理条例"
GUIDES = {
    "reg": "事项名称：图谱示范鹦鹉饲养登记\n实施主体：图谱示范市林业局\n申请材料\n1. 鹦鹉来源证明\n"
    "2. 饲养人居民身份证\n"
    f"办理地点：图谱示范市政务服务中心5楼1号窗口\n设定依据：《{LAW}》第八条",
    "end": "事项名称：图谱示范鹦鹉饲养注销\n实施主体：图谱示范市林业局\n申请材料\n1. 饲养人居民身份证\n"
    "2. 鹦鹉死亡证明\n"
    "办理地点：图谱示范市政务服务中心5楼2号窗口",
}
ASK = """query($q: String!) { ask(question: $q) {
  kind answer qaId graphNodes { kind name id url } options { question } } }"""
GRAPH = """query($s: String!, $p: Int!, $n: Int!) { serviceGraph(service: $s, page: $p, pageSize: $n) {
  service { kind name id } total page pageSize alternatives { name } neighbours { relation position kind name } } }"""


def _line(url: str, title: str, text: str, kind: str) -> str:
    return json.dumps({"url": url, "title": title, "text": text, "kind": kind}, ensure_ascii=False)


async def _store(pool: asyncpg.Pool, bus: Bus, guides: dict[str, str], law: bool = True) -> str:
    site = await make_site(pool)
    base = f"https://{site}.example.gov.cn"
    lines = [
        _line(f"{base}/bszn/{k}.html", f"{t.split(chr(10))[0][5:]}办事指南", t, "service") for k, t in guides.items()
    ]
    if law:
        lines.append(_line(f"{base}/zcwj/1.html", LAW, "第八条 饲养鹦鹉应当登记。", "policy"))
    summary = await import_documents(pool, bus, lines, default_site=site, wait=False)
    assert summary.added == len(lines), summary
    return base


async def test_the_graph_is_built_asked_and_rebuilt_idempotently(pg_pool: asyncpg.Pool, bus: Bus, api_url: str) -> None:
    base = await _store(pg_pool, bus, GUIDES)
    first = await graph_store.rebuild(pg_pool)
    assert first.changed >= 2
    again = await graph_store.rebuild(pg_pool)
    assert again.changed == 0 and again.version == first.version  # nothing changed: not even the version

    reply = (await gql_data(api_url, ASK, {"q": "办鹦鹉饲养登记要带啥材料"}))["ask"]
    assert reply["kind"] == "answer" and "鹦鹉来源证明" in reply["answer"] and "饲养人居民身份证" in reply["answer"]
    cited = {(n["kind"], n["name"]) for n in reply["graphNodes"]}
    assert ("service", "图谱示范鹦鹉饲养登记") in cited and ("material", "鹦鹉来源证明") in cited

    basis = (await gql_data(api_url, ASK, {"q": "鹦鹉饲养登记的依据是什么"}))["ask"]
    policies = [n for n in basis["graphNodes"] if n["kind"] == "policy"]
    assert f"《{LAW}》" in basis["answer"] and [p["url"] for p in policies] == [f"{base}/zcwj/1.html"]

    diff = (await gql_data(api_url, ASK, {"q": "鹦鹉饲养登记和鹦鹉饲养注销有什么区别"}))["ask"]
    assert "相同的有饲养人居民身份证" in diff["answer"] and "仅图谱示范鹦鹉饲养注销：鹦鹉死亡证明" in diff["answer"]

    page = (await gql_data(api_url, GRAPH, {"s": "鹦鹉饲养登记", "p": 2, "n": 2}))["serviceGraph"]
    assert page["service"]["name"] == "图谱示范鹦鹉饲养登记" and page["total"] == 6
    assert [n["relation"] for n in page["neighbours"]] == ["handled_by", "handled_at"]
    missing = await gql(api_url, GRAPH, {"s": "月球车牌照申领", "p": 1, "n": 10})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    too_big = await gql(api_url, GRAPH, {"s": "鹦鹉饲养登记", "p": 1, "n": 500})
    assert too_big["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_a_changed_or_gone_guide_changes_the_answer(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    guide = GUIDES["end"].replace("图谱示范鹦鹉饲养注销", "图谱变更鹦鹉寄养注销")
    await _store(pg_pool, bus, {"lodge": guide}, law=False)
    await graph_store.rebuild(pg_pool)
    doc = await pg_pool.fetchrow(
        "select id::text, url, title from live_documents where title = '图谱变更鹦鹉寄养注销办事指南'"
    )
    qa = QaService(pg_pool)
    changed = guide.replace("鹦鹉死亡证明", "鹦鹉转让合同")
    async with pg_pool.acquire() as conn, conn.transaction():
        assert await graph_store.apply_guide(
            conn, document_id=doc["id"], url=doc["url"], title=doc["title"], text=changed
        )
    reply = await qa.ask("鹦鹉寄养注销需要什么材料")
    assert reply.kind == "answer" and "鹦鹉转让合同" in reply.text and "鹦鹉死亡证明" not in reply.text
    async with pg_pool.acquire() as conn, conn.transaction():
        assert await graph_store.apply_guide(conn, document_id=doc["id"], url="", title="", text="", live=False)
    after = await qa.ask("鹦鹉寄养注销需要什么材料")
    # the gone guide is out of the graph (another service or the ordinary Q&A answers; no error)
    assert f"service:{doc['id']}" not in {n.id for n in after.graph_nodes} and "鹦鹉转让合同" not in after.text

"""The service graph follows its inputs while the processes run: a guide imported is answered from the graph by a Q&A
service that was already running (no restart, no `yiwang qa-graph rebuild`), a policy that arrives after the guide
citing it is linked, and the scheduler's periodic rebuild mends a guide whose event no consumer saw."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from dramatiq.brokers.stub import StubBroker

from core.bus import Bus, DocumentChanged
from core.documents.importer import import_documents
from core.jobs import REBUILD_QA_GRAPH
from core.qa.graph import store as graph_store
from core.qa.models import Reply
from core.qa.service import QaService
from core.settings import Settings
from tests.integration.search_fixtures import make_site, running
from tests.polling import eventually
from workers.policy_library import PolicyLibrary
from workers.qa_graph import rebuild_qa_graph
from workers.scheduler import enqueue_graph_rebuild

pytestmark = pytest.mark.integration
# Names no other module's data uses: the graph is shared by every test of the session.
LAW = "刷新示范市信鸽养殖管理办法"
GUIDE = (
    "事项名称：刷新示范信鸽养殖登记\n实施主体：刷新示范市农业农村局\n申请材料\n1. 信鸽足环证明\n2. 养殖场地证明\n"
    f"办理地点：刷新示范市政务服务中心3楼7号窗口\n设定依据：《{LAW}》第五条"
)
MISSED = (
    "事项名称：刷新示范信鸽赛事备案\n实施主体：刷新示范市体育局\n申请材料\n1. 赛事方案\n"
    "办理地点：刷新示范市体育局一楼大厅"
)


def line(base: str, path: str, title: str, text: str, kind: str) -> str:
    return json.dumps({"url": f"{base}/{path}", "title": title, "text": text, "kind": kind}, ensure_ascii=False)


def library_of(pool: asyncpg.Pool, bus: Bus, site: str) -> PolicyLibrary:
    """The real policy-library consumer under a durable of its own reading only this site's documents."""
    library = PolicyLibrary(pool, bus)
    library.name, library.subject = f"policy-library-{site}", f"{DocumentChanged.SUBJECT}.{site}"
    return library


def cited(reply: Reply, kind: str) -> list[tuple[str, str | None]]:
    return [(n.name, n.url) for n in reply.graph_nodes if n.kind == kind]


async def test_a_new_guide_and_a_later_policy_reach_a_running_qa_service(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    site = await make_site(pg_pool)
    base = f"https://{site}.example.gov.cn"
    qa = QaService(pg_pool)  # up before the guide exists, as an API process is
    before = await qa.ask("信鸽养殖登记要带什么材料")
    assert "信鸽足环证明" not in before.text
    async with running(bus, library_of(pg_pool, bus, site)):
        guide = line(base, "bszn/1.html", "刷新示范信鸽养殖登记办事指南", GUIDE, "service")
        await import_documents(pg_pool, bus, [guide], default_site=site, wait=False)
        # the guide's own Q&A pair may answer first (the consumer stores it just before the graph's part)
        await eventually(
            lambda: qa.ask("信鸽养殖登记要带什么材料"), lambda r: bool(cited(r, "material")), what="the graph's answer"
        )
        answer = await qa.ask("信鸽养殖登记要带什么材料")
        assert cited(answer, "service") == [("刷新示范信鸽养殖登记", f"{base}/bszn/1.html")]
        assert {"信鸽足环证明", "养殖场地证明"} <= {name for name, _ in cited(answer, "material")}
        assert cited(await qa.ask("信鸽养殖登记的依据是什么"), "policy") == []  # the policy is not in the library yet

        policy = line(base, "zcwj/1.html", LAW, "第五条 养殖信鸽应当登记。", "policy")
        await import_documents(pg_pool, bus, [policy], default_site=site, wait=False)
        basis = await eventually(
            lambda: qa.ask("信鸽养殖登记的依据是什么"), lambda r: bool(cited(r, "policy")), what="the policy linked"
        )
    assert cited(basis, "policy") == [(LAW, f"{base}/zcwj/1.html")] and f"《{LAW}》" in basis.text
    # the policy withdrawn (its page gone): the consumer's step for it unlinks it from the guide
    policy_id = await pg_pool.fetchval(
        "update documents set gone = true, gone_at = now() where url = $1 returning id::text", f"{base}/zcwj/1.html"
    )
    assert await graph_store.apply_policy(pg_pool, document_id=policy_id, title=LAW) == 1
    assert cited(await qa.ask("信鸽养殖登记的依据是什么"), "policy") == []


async def test_the_scheduler_rebuilds_the_graph_on_its_interval_mending_a_missed_guide(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    site = await make_site(pg_pool)
    guide = line(f"https://{site}.example.gov.cn", "bszn/2.html", "刷新示范信鸽赛事备案办事指南", MISSED, "service")
    await import_documents(pg_pool, bus, [guide], default_site=site, wait=False)  # no consumer runs: missed
    qa = QaService(pg_pool)
    assert "赛事方案" not in (await qa.ask("信鸽赛事备案需要什么材料")).text

    broker, now = StubBroker(), datetime.now(UTC) + timedelta(days=400)  # later than any rebuild queued before
    hourly = Settings(qa_graph_rebuild_interval_s=3600)
    try:
        assert await enqueue_graph_rebuild(pool=pg_pool, broker=broker, settings=hourly, now=now) is not None
        assert broker.queues[REBUILD_QA_GRAPH[1]].qsize() == 1
        soon = now + timedelta(minutes=30)
        assert await enqueue_graph_rebuild(pool=pg_pool, broker=broker, settings=hourly, now=soon) is None
        never = Settings(qa_graph_rebuild_interval_s=0)
        assert (
            await enqueue_graph_rebuild(pool=pg_pool, broker=broker, settings=never, now=now + timedelta(days=9))
            is None
        )
        later = now + timedelta(hours=1, seconds=1)
        assert await enqueue_graph_rebuild(pool=pg_pool, broker=broker, settings=hourly, now=later) is not None
    finally:
        broker.close()
    await rebuild_qa_graph(settings)  # what the worker runs for the queued job
    reply = await qa.ask("信鸽赛事备案需要什么材料")
    assert "赛事方案" in reply.text and ("service", "刷新示范信鸽赛事备案") in {
        (n.kind, n.name) for n in reply.graph_nodes
    }

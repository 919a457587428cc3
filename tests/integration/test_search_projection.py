"""The search index as a projection of Postgres: the projector end to end, and reindex with a live swap."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged, PageFetched
from core.documents import apply_pages
from core.search import IndexDoc, RebuildHandle, SearchRequest
from core.search.freshness import wait_until_projected
from core.search.projection import index_docs
from core.search.reindex import catch_up, rebuild
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from ops.cli.reindex import run_reindex
from tests.integration import search_fixtures
from tests.integration.search_fixtures import make_site, running, site_consumers, site_hits, titles
from tests.polling import eventually
from workers.projector import SearchProjector

pytestmark = pytest.mark.integration
own_database = search_fixtures.own_database


def page(site: str, path: str, title: str = "", text: str = "", *, kind: str = "policy",
         meta: dict[str, Any] | None = None, gone: bool = False) -> PageFetched:  # fmt: skip
    digest = hashlib.sha256(f"{kind}|{title}|{text}|{meta}|{gone}".encode()).hexdigest()
    return PageFetched(site_id=site, url=f"https://{site}.example.gov.cn/{path}", status=404 if gone else 200,
                       content_hash=digest, fetched_at=datetime.now(UTC).isoformat(), kind=kind, title=title,
                       text=text, meta=meta or {}, gone=gone)  # fmt: skip


async def store(pool: asyncpg.Pool, pages: Sequence[PageFetched]) -> dict[str, str]:
    """Pages written to Postgres directly (no events); url -> document id."""
    async with pool.acquire() as conn, conn.transaction():
        changes = await apply_pages(conn, pages)
    return {c.url: c.document_id for c in changes}


async def postgres_view(pool: asyncpg.Pool, site: str) -> dict[str, str]:
    """url -> title of what the index should hold for a site, straight from Postgres."""
    ids = [r["id"] for r in await pool.fetch("select id::text as id from documents where site_id = $1", site)]
    upserts, _ = await index_docs(pool, ids)
    return {d.url: d.title for d in upserts}


async def test_projector_keeps_the_index_equal_to_postgres(pg_pool: asyncpg.Pool, bus: Bus, tmp_path: Path) -> None:
    site = await make_site(pg_pool, level="区县", region="江北区", department="江北区卫健委")
    reader = TantivyEngine(tmp_path)  # as an API process opens it
    await reader.open()
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), site)
    meta = {"doc_no": "江北卫发〔2023〕5号", "doc_no_normalized": "江北卫发〔2023〕5号", "issuer": "江北区卫健委",
            "theme": "卫生、体育", "audience": ["个人", "法人"], "validity": "有效"}  # fmt: skip
    policy = page(site, "zcwj/1.html", "关于做好医疗联合体建设的通知", "各街道：推进医疗联合体建设。", meta=meta)
    news = page(site, "xwdt/2.html", "区卫健委开展义诊活动", "义诊活动在江北广场举行。", kind="news")
    column = page(site, "xwdt/", "新闻动态", "区卫健委开展义诊活动 2023-05-01", kind="column")
    async with running(bus, indexer, projector):
        for ev in (policy, news, column):
            await bus.publish(ev)
        found = await eventually(lambda: site_hits(reader, site), lambda r: r.total == 2)
        assert set(titles(found)) == {policy.url, news.url}, "column (list) pages are not indexed"

        req = SearchRequest(doc_no="江北卫发〔2023〕5号", filters={"site": [site]},
                            facets=["level", "region", "issuer", "theme", "audience"])  # fmt: skip
        by_doc_no = await reader.search(req)
        assert [(h.url, h.doc_no, h.issuer) for h in by_doc_no.hits] == [
            (policy.url, "江北卫发〔2023〕5号", "江北区卫健委")
        ]
        assert by_doc_no.facets["level"] == [("区县", 1)] and by_doc_no.facets["region"] == [("江北区", 1)]
        assert by_doc_no.facets["theme"] == [("体育", 1), ("卫生", 1)]
        assert by_doc_no.facets["audience"] == [("个人", 1), ("法人", 1)]

        revised = page(site, "zcwj/1.html", "关于做好紧密型医疗联合体建设的通知", "各街道：推进紧密型医疗联合体。")
        await bus.publish(revised)
        await eventually(lambda: site_hits(reader, site), lambda r: titles(r).get(policy.url) == revised.title)
        assert (await site_hits(reader, site, "紧密型")).total == 1

        await bus.publish(page(site, "xwdt/2.html", gone=True))
        await eventually(lambda: site_hits(reader, site), lambda r: news.url not in titles(r))

        # Redelivered and out-of-order events: an old 'created' for the revised policy, a 'created' for the
        # news page that is gone, a 'gone' for a policy that is not. The current rows decide.
        doc_ids = {r["url"]: r["id"] for r in await pg_pool.fetch(
            "select url, id::text as id from documents where site_id = $1", site)}  # fmt: skip
        stale = [
            DocumentChanged(doc_ids[policy.url], policy.url, site, "created", 1, policy.content_hash, policy.title),
            DocumentChanged(doc_ids[news.url], news.url, site, "created", 1, news.content_hash, news.title),
            DocumentChanged(doc_ids[policy.url], policy.url, site, "gone", 9, "x"),
        ]
        seq = 0
        for n, ev in enumerate(stale):
            ack = await bus.js.publish(ev.subject, ev.encode(), headers={"Nats-Msg-Id": f"replay:{site}:{n}"})
            seq = ack.seq
        await wait_until_projected(bus, seq, consumer=projector.name, timeout_s=10, stall_s=5)
        assert titles(await site_hits(reader, site)) == await postgres_view(pg_pool, site)
        assert titles(await site_hits(reader, site)) == {policy.url: revised.title}
    await reader.close()


class GatedEngine:
    """The CLI's engine, whose rebuild pauses after its first batch until the test lets it go on."""

    def __init__(self, engine: TantivyEngine) -> None:
        self.engine = engine
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    async def begin_rebuild(self) -> RebuildHandle:
        handle = await self.engine.begin_rebuild()
        gate = self

        class Gated:
            async def upsert(self, docs: Sequence[IndexDoc]) -> None:
                await handle.upsert(docs)
                if not gate.paused.is_set():
                    gate.paused.set()
                    await gate.resume.wait()

            async def commit_and_swap(self) -> None:
                await handle.commit_and_swap()

            async def abort(self) -> None:
                await handle.abort()

        return Gated()


async def test_reindex_swaps_while_readers_keep_answering_and_catches_up(
    own_database: tuple[str, asyncpg.Pool], bus: Bus, tmp_path: Path
) -> None:
    pg_pool = own_database[1]
    site = await make_site(pg_pool)
    pages = [page(site, f"zc/{i}.html", f"养老服务补贴办法第{i}号", f"养老服务补贴第{i}条。") for i in range(4)]
    ids = await store(pg_pool, pages)
    ghost = "https://ghost.example.gov.cn/gone.html"
    projector_engine = TantivyEngine(tmp_path)  # the consumers process: the one writer of the live index
    await projector_engine.open()
    stale = [
        IndexDoc(id=ids[pages[0].url], url=pages[0].url, title="过时的标题", site=site),
        IndexDoc(id=str(uuid.uuid4()), url=ghost, title="已删除的文件", site=site),
    ]
    await projector_engine.upsert(stale)
    reader = TantivyEngine(tmp_path)
    await reader.open()
    cli = GatedEngine(TantivyEngine(tmp_path))
    await cli.open()
    stale_view = {pages[0].url: "过时的标题", ghost: "已删除的文件"}
    assert titles(await site_hits(reader, site)) == stale_view

    task = asyncio.create_task(rebuild(pg_pool, cli, batch_size=2, bus=bus))  # type: ignore[arg-type]
    await cli.paused.wait()
    # Mid-rebuild: readers answer from the old index, and a change lands there through the live projector.
    assert titles(await site_hits(reader, site)) == stale_view
    revised = page(site, "zc/1.html", "养老服务补贴办法第1号（修订）", "养老服务补贴第1条（修订）。")
    await store(pg_pool, [revised])
    await projector_engine.upsert((await index_docs(pg_pool, [ids[revised.url]]))[0])
    assert titles(await site_hits(reader, site))[revised.url] == revised.title
    cli.resume.set()
    result = await task
    await cli.close()  # the CLI process exits, releasing the writer it used for the catch-up

    assert result.caught_up >= 1 and result.handed_over == 0
    after = titles(await site_hits(reader, site))
    assert after == await postgres_view(pg_pool, site), "the ghost is gone, titles are current"
    assert after[revised.url] == revised.title, "the change made during the rebuild survived the swap"

    # The projector moves to the new index and holds its writer: a catch-up then goes through the bus.
    since = await pg_pool.fetchval("select now()")
    await projector_engine.upsert((await index_docs(pg_pool, [ids[pages[2].url]]))[0])
    again = page(site, "zc/2.html", "养老服务补贴办法第2号（再修订）", "养老服务补贴第2条（再修订）。")
    await store(pg_pool, [again])
    written, handed = await catch_up(pg_pool, cli.engine, since=since, bus=bus)
    assert (written, handed) == (0, 1)
    projector = SearchProjector(pg_pool, projector_engine)
    projector.name, projector.subject = f"search-projector-{site}", f"{DocumentChanged.SUBJECT}.{site}"
    async with running(bus, projector):
        await eventually(lambda: site_hits(reader, site), lambda r: titles(r).get(again.url) == again.title)
    await cli.close()
    await reader.close()


async def test_reindex_command_rebuilds_and_reports(
    settings: Settings, own_database: tuple[str, asyncpg.Pool], tmp_path: Path
) -> None:
    url, pg_pool = own_database
    site = await make_site(pg_pool)
    doc = page(site, "zc/a.html", "关于公布权责清单的通知", "权责清单如下。")
    await store(pg_pool, [doc])
    own = dataclasses.replace(settings, database_url=url, data_dir=tmp_path)
    summary = await run_reindex(own, batch_size=100, show_progress=False)
    assert re.fullmatch(r"indexed 1 documents in [\d.]+ s \(\d+ docs/s\)", summary), summary
    reader = TantivyEngine(tmp_path)
    await reader.open()
    assert titles(await site_hits(reader, site)) == {doc.url: doc.title}
    await reader.close()

"""The 12345 hotline knowledge-base sync over real Postgres: add, edit, retire and revive; malformed rows skipped
and counted; a file, a real HTTP endpoint and the CLI as sources; a crashed run converges; the scheduler's job."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from dramatiq.brokers.stub import StubBroker

from core.errors import Invalid, Upstream
from core.jobs import SYNC_HOTLINE
from core.qa import store, sync_store
from core.qa.hotline import FileSource, HttpSource, pair_of_row
from core.qa.sync import enqueue_due, recent_runs, run_queued, sync_hotline
from core.settings import Settings
from tests.integration.cli import yiwang
from tests.integration.graphql import gql
from workers.jobs import JOBS

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


def rows(tag: str, *keys: str, **answers: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{tag}-{k}",
            "question": f"{tag} 事项{k}在哪里办理？",
            "answer": answers.get(k, f"事项{k}到政务大厅办理。"),
            "category": "社会保障",
        }
        for k in keys
    ]


def write(path: Path, items: list[Any]) -> FileSource:
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    return FileSource(path)


async def active_hotline(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("select count(*) from qa_pairs where source = 'hotline' and status = 'active'"))


async def status(pool: asyncpg.Pool, tag: str, key: str) -> str:
    return str(await pool.fetchval("select status from qa_pairs where id = $1", f"hotline-{tag}-{key}"))


async def test_sync_adds_edits_retires_and_revives_and_skips_malformed_rows(
    pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    tag, path = f"t{secrets.token_hex(3)}", tmp_path / "kb.json"
    before = await active_hotline(pg_pool)
    bad = [{"id": f"{tag}-x", "question": "无答复？"}, {**rows(tag, "a")[0], "answer": "重复"}, 7]
    first = await sync_hotline(pool=pg_pool, source=write(path, rows(tag, "a", "b", "c", "d") + bad), now=NOW)
    assert (first.added, first.changed, first.retired, first.seen) == (4, 0, before, 7)
    assert [n for n, _ in first.rejections] == [5, 6, 7] and "answer must be" in first.rejections[0][1]
    assert "already given in row 1" in first.rejections[1][1]
    second_rows = rows(tag, "a", "b", "d", "e", b="事项b改到区行政服务中心办理。")
    second = await sync_hotline(pool=pg_pool, source=write(path, second_rows), now=NOW)
    assert (second.added, second.changed, second.retired, second.unchanged, second.revived) == (1, 1, 1, 2, 0)
    assert (await store.get_pair(pg_pool, f"hotline-{tag}-b")).answer == "事项b改到区行政服务中心办理。"
    assert await status(pg_pool, tag, "c") == "retired"  # kept, not deleted
    third = await sync_hotline(
        pool=pg_pool, source=write(path, rows(tag, "a", "b", "c", "d", b="事项b改到区行政服务中心办理。")), now=NOW
    )
    assert (third.revived, third.retired, third.unchanged, third.added) == (1, 1, 3, 0)
    assert await status(pg_pool, tag, "c") == "active" and await status(pg_pool, tag, "e") == "retired"
    again = await sync_hotline(pool=pg_pool, source=FileSource(path), now=NOW)  # idempotent
    assert (again.unchanged, again.added + again.changed + again.retired + again.revived) == (4, 0)
    with pytest.raises(Invalid, match="no valid row"):  # never retires the whole knowledge base
        await sync_hotline(pool=pg_pool, source=write(path, [{"id": "only-bad"}]), now=NOW)
    assert await active_hotline(pg_pool) == 4
    with pytest.raises(Invalid, match="cannot read"):
        await sync_hotline(pool=pg_pool, source=FileSource(tmp_path / "missing.csv"), now=NOW)
    runs = await recent_runs(pool=pg_pool, limit=2)
    assert [r.status for r in runs] == ["failed", "failed"] and "cannot read" in runs[0].error


async def test_a_sync_that_died_half_way_converges_on_the_next_run(pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    tag = f"c{secrets.token_hex(3)}"
    source = write(tmp_path / "kb.json", rows(tag, "1", "2", "3", "4", "5", "6"))
    dead = await sync_store.queue_run(pg_pool, connector="hotline", source=source.name, trigger="cli", now=NOW)
    await sync_store.start_run(pg_pool, dead, NOW)
    async with pg_pool.acquire() as conn, conn.transaction():  # the first batch committed, then the process died
        await store.upsert_pairs(conn, [pair_of_row(r) for r in rows(tag, "1", "2", "3")])
    done = await sync_hotline(pool=pg_pool, source=source, now=NOW)
    assert (done.added, done.unchanged) == (3, 3)
    runs = {r.id: r for r in await recent_runs(pool=pg_pool, limit=5)}
    assert runs[dead].status == "failed" and runs[dead].error.startswith("interrupted")
    assert runs[done.run_id].status == "done" and runs[done.run_id].added == 3
    again = await sync_hotline(pool=pg_pool, source=source, now=NOW)
    assert (again.added, again.unchanged) == (0, 6)


@contextlib.contextmanager
def serving(body: bytes, content_type: str) -> Iterator[str]:
    """A real HTTP server on loopback answering every GET with `body` (404 for /missing)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path != "/missing"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body if found else b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_an_http_source_the_scheduler_job_and_the_admin_view(
    pg_pool: asyncpg.Pool, settings: Settings, api_url: str
) -> None:
    tag = f"h{secrets.token_hex(3)}"
    csv = "id,question,answer,category\n" + "".join(f"{tag}-{k},{tag} 问题{k}？,答复{k}。,医疗\n" for k in "123")
    with serving((csv + f"{tag}-4,,没有问题,医疗\n").encode(), "text/csv") as url:
        got = await sync_hotline(pool=pg_pool, source=HttpSource(f"{url}/kb.csv"), now=NOW)
        assert (got.added, len(got.rejections)) == (3, 1) and got.rejections[0][0] == 5
        with pytest.raises(Upstream, match="HTTP 404"):
            await sync_hotline(pool=pg_pool, source=HttpSource(f"{url}/missing"), now=NOW)
        assert await active_hotline(pg_pool) == 3  # a failed fetch changed nothing
        later, broker = NOW + timedelta(days=30), StubBroker()
        configured = dataclasses.replace(settings, hotline_source=f"{url}/kb.csv")
        run_id = await enqueue_due(pool=pg_pool, broker=broker, settings=configured, now=later)
        assert run_id is not None and broker.queues[SYNC_HOTLINE[1]].qsize() == 1
        assert await enqueue_due(pool=pg_pool, broker=broker, settings=configured, now=later) is None  # not due yet
        done = await run_queued(pool=pg_pool, settings=configured, run_id=run_id, now=later)
        assert done is not None and done.run_id == run_id and done.unchanged == 3
        assert await run_queued(pool=pg_pool, settings=configured, run_id=run_id, now=later) is None  # redelivered
    assert any(job.actor == SYNC_HOTLINE for job in JOBS)
    body = await gql(api_url, "{ qaSyncRuns(first: 3) { id trigger status unchanged rejected source } }")
    newest = body["data"]["qaSyncRuns"][0]
    expected = {"id": str(run_id), "trigger": "schedule", "status": "done", "unchanged": 3, "rejected": 1}
    assert newest == expected | {"source": f"{url}/kb.csv"}
    anonymous = await gql(api_url, "{ qaSyncRuns { id } }", token=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    too_many = await gql(api_url, "{ qaSyncRuns(first: 1000) { id } }")
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_the_cli_prints_what_changed_and_the_rejected_rows(settings: Settings, tmp_path: Path) -> None:
    tag = f"k{secrets.token_hex(3)}"
    path = tmp_path / "kb.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows(tag, "1", "2")] + [
        '{"id": "x y", "question": "q", "answer": "a"}'
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out, err = await asyncio.wait_for(yiwang(settings, tmp_path, "qa", "sync-hotline", "--source", str(path)), 60)
    assert code == 0, err
    assert "added 2, changed 0, retired" in out and "rejected 1" in out and "row 3: id must be" in out

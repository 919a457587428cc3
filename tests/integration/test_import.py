"""`import --kind document`: a JSONL file with good and bad lines, derivation, and waiting until searchable."""

from __future__ import annotations

import argparse
import json
import logging
import secrets
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus
from core.documents import get_document
from core.documents.importer import import_documents
from core.errors import Upstream
from core.search import SearchRequest
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings, get_settings
from ops.cli import main
from ops.cli.import_cmd import render, run_import
from tests.integration.search_fixtures import make_site, running, site_consumers, site_hits, titles

pytestmark = pytest.mark.integration


def jsonl(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


async def test_import_reports_every_line_and_returns_when_searchable(
    pg_pool: asyncpg.Pool, bus: Bus, tmp_path: Path
) -> None:
    site = await make_site(pg_pool, level="市", region="青岛市")
    base = f"https://{site}.example.gov.cn"
    policy_text = "青岛市人民政府办公厅\n青政办发〔2021〕12号\n2021年6月3日\n各区、市人民政府：现将有关事项通知如下。"
    lines = [
        jsonl(url=f"{base}/zc/1.html", title="青岛市人民政府办公厅关于加快发展养老服务业的通知", text=policy_text),
        jsonl(
            url=f"{base}/xw/2.html",
            title="我市召开养老服务工作会议",
            text="会议要求……",
            kind="news",
            published_at="2021-07-01",
            theme=["民政", "养老"],
            department="青岛市民政局",
        ),
        '{"url": "https://x.gov.cn/3.html", "title": "半行',
        jsonl(url=f"{base}/zc/4.html", title="没有正文"),
        jsonl(url="ftp://files.example.gov.cn/5.doc", title="附件", text="附件正文"),
        jsonl(url=f"{base}/zc/1.html", title="重复的网址", text="重复"),
        "",
        jsonl(url=f"{base}/zc/8.html", title="别的站点", text="正文", site="no-such-site"),
        jsonl(url=f"{base}/zc/9.html", title="太长的正文", text="字" * 2001),
    ]
    reader = TantivyEngine(tmp_path)
    await reader.open()
    _, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), site)
    async with running(bus, projector):
        summary = await import_documents(pg_pool, bus, lines, default_site=site, max_text_chars=2000,
                                         projector=projector.name, stall_s=5)  # fmt: skip
        # No polling: the import returned only once the projector had applied every change.
        assert titles(await site_hits(reader, site)) == {
            f"{base}/zc/1.html": "青岛市人民政府办公厅关于加快发展养老服务业的通知",
            f"{base}/xw/2.html": "我市召开养老服务工作会议",
        }
        assert (summary.added, summary.updated, summary.unchanged) == (2, 0, 0)
        assert summary.rejected == [
            (3, "bad JSON: Unterminated string starting at: line 1 column 45 (char 44)"),
            (4, "missing text"),
            (5, "url is not http(s): ftp://files.example.gov.cn/5.doc"),
            (6, "duplicate url (first on line 1)"),
            (8, "unknown site 'no-such-site' (add it to the sites file, or leave site out)"),
            (9, "text too long: 2001 characters (at most 2000)"),
        ]
        policy = await get_document(pg_pool, url=f"{base}/zc/1.html")
        assert (policy.kind, policy.doc_no_norm, policy.published_at) == (
            "policy",
            "青政办发〔2021〕12号",
            date(2021, 6, 3),
        )
        found = await reader.search(SearchRequest(query="青政办发2021年12号", filters={"site": [site]}))
        assert found.hits[0].url == policy.url and found.hits[0].doc_no == "青政办发〔2021〕12号"
        facets = await reader.search(SearchRequest(filters={"site": [site]}, facets=["kind", "department", "theme"]))
        assert facets.facets["kind"] == [("news", 1), ("policy", 1)]
        assert facets.facets["department"] == [("青岛市民政局", 1)] and facets.facets["theme"] == [
            ("养老", 1),
            ("民政", 1),
        ]

        changed = [lines[0], jsonl(url=f"{base}/xw/2.html", title="我市召开养老服务工作推进会", text="会议要求……")]
        again = await import_documents(pg_pool, bus, changed, default_site=site, projector=projector.name, stall_s=5)
        assert (again.added, again.updated, again.unchanged, again.rejected) == (0, 1, 1, [])
        assert titles(await site_hits(reader, site))[f"{base}/xw/2.html"] == "我市召开养老服务工作推进会"
    await reader.close()


async def test_without_a_running_projector_import_stores_and_says_what_to_start(
    pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    url = f"https://{secrets.token_hex(4)}.example.gov.cn/a.html"
    with pytest.raises(Upstream) as err:
        await import_documents(pg_pool, bus, [jsonl(url=url, title="通知", text="正文")],
                               projector="search-projector-nobody", stall_s=0.5)  # fmt: skip
    assert "not yet searchable" in err.value.message and "yiwang consumers" in err.value.message
    doc = await get_document(pg_pool, url=url)
    assert doc.site_id == "imported", "a line naming no site, without --site, lands on the site 'imported'"
    level = await pg_pool.fetchval("select level from sites where id = 'imported'")
    assert level == "市"


async def test_import_command_reads_a_file_and_prints_the_summary(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    site = await make_site(pg_pool)
    path = tmp_path / "docs.jsonl"
    good = jsonl(url=f"https://{site}.example.gov.cn/a.html", title="关于开展消防检查的通告", text="正文")
    path.write_bytes(f"\ufeff{good}\nnot json\n".encode())
    args = argparse.Namespace(file=str(path), kind="document", site=site, batch=200, no_wait=True,
                              wait_timeout=5.0, quiet=True)  # fmt: skip
    summary = await run_import(settings, args, show_progress=False)
    assert render(summary) == (
        "added 1, updated 0, unchanged 0, rejected 1\n  line 2: bad JSON: Expecting value: line 1 column 1 (char 0)"
    )


async def test_a_gbk_file_imports_and_an_unreadable_line_is_named(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    site = await make_site(pg_pool)
    path = tmp_path / "docs-gbk.jsonl"
    url = f"https://{site}.example.gov.cn/gbk.html"
    path.write_bytes(jsonl(url=url, title="关于做好社保卡换发工作的通知", text="正文").encode("gbk") + b"\n\xff\xfe\n")
    args = argparse.Namespace(
        file=str(path), kind="document", site=site, batch=200, no_wait=True, wait_timeout=5.0, quiet=True
    )
    summary = await run_import(settings, args, show_progress=False)
    assert render(summary) == (
        "added 1, updated 0, unchanged 0, rejected 1\n  line 2: the line is neither UTF-8 nor GB18030/GBK text"
    )
    assert (await get_document(pg_pool, url=url)).title == "关于做好社保卡换发工作的通知"


def test_the_import_command_exits_1_and_names_each_bad_line(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real command line in this process: the summary on stdout, every bad line by number, exit code 1."""
    for key, value in (("DATABASE_URL", settings.database_url), ("NATS_URL", settings.nats_url)):
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = tmp_path / "docs.jsonl"
    good = jsonl(
        url=f"https://{secrets.token_hex(4)}.example.gov.cn/a.html", title="关于开展消防检查的通告", text="正文"
    )
    path.write_text(f"{good}\n\n{{not json\n", "utf-8")
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            main(["import", str(path), "--no-wait", "--quiet"])
    finally:
        root.handlers[:], _ = handlers, root.setLevel(level)
        get_settings.cache_clear()
    out = capsys.readouterr()
    assert exited.value.code == 1, out.err
    assert out.out.splitlines() == [
        "added 1, updated 0, unchanged 0, rejected 1",
        "  line 3: bad JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ]

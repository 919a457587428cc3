"""What the CLI prints where: a command's output on stdout, its log lines on stderr (WARNING unless -v), and
the log lines of every process, the dramatiq workers too, with their fields."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core.search import IndexDoc
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.conftest import ROOT
from tests.integration.test_cli_errors import yiwang

pytestmark = pytest.mark.integration
INFO_LINE = re.compile(r"^\d\d:\d\d:\d\d INFO +\S+: ", re.M)


async def _empty_index(data_dir: Path) -> None:
    engine = TantivyEngine(data_dir)
    await engine.open()
    await engine.close()


def test_search_json_is_all_stdout_holds(tmp_path: Path) -> None:
    asyncio.run(_empty_index(tmp_path))
    for verbose in ([], ["-v"]):
        # `-v` goes before or after the command; either way the log lines go to stderr
        for args in (["search", "社保", "--json", *verbose], [*verbose, "search", "社保", "--json"]):
            out = yiwang(*args, env={"DATA_DIR": str(tmp_path)})
            assert out.returncode == 0, out.stderr
            body = json.loads(out.stdout)
            assert body["query"] == "社保" and body["total"] == 0
            assert bool(INFO_LINE.search(out.stderr)) == bool(verbose), out.stderr
            assert "SEARCH_ID_KEY" not in out.stderr, "the CLI's search ids are for no click: nothing to warn about"


async def _index_one(data_dir: Path) -> None:
    engine = TantivyEngine(data_dir)
    await engine.open()
    doc = IndexDoc(id="d1", url="http://a.test/1", title="社会保障卡申领", text="社保卡办理", site="cli-portal")
    await engine.upsert([doc])
    await engine.close()


def test_search_on_a_site_that_finds_nothing_says_whether_other_sites_would(tmp_path: Path) -> None:
    """The CLI reads the index alone, so it cannot tell a mistyped site id from a site without such documents: it
    says what the other sites hold instead of a bare "0 results"."""
    asyncio.run(_index_one(tmp_path))
    typo = yiwang("search", "社保卡", "--site", "cli-portl", env={"DATA_DIR": str(tmp_path)})
    assert typo.returncode == 0 and "0 results" in typo.stdout, typo.stderr
    assert "(on site 'cli-portl'; 1 on other sites: is the site id right?" in typo.stdout
    right = yiwang("search", "社保卡", "--site", "cli-portal", env={"DATA_DIR": str(tmp_path)})
    assert "1 results" in right.stdout and "other sites" not in right.stdout


def test_ask_prints_its_answer_and_logs_only_when_asked(settings: Settings, tmp_path: Path) -> None:
    env = {"DATABASE_URL": settings.database_url or "", "NATS_URL": settings.nats_url or "", "DATA_DIR": str(tmp_path)}
    quiet = yiwang("ask", "怎么办理社保卡", "--json", env=env, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert json.loads(quiet.stdout)["kind"] and not INFO_LINE.search(quiet.stderr), quiet.stderr
    told = yiwang("ask", "怎么办理社保卡", "--json", "-v", env=env, timeout=120)
    assert told.returncode == 0 and json.loads(told.stdout)["kind"], told.stderr
    assert INFO_LINE.search(told.stderr), "with -v the INFO lines are on stderr, in text"
    assert not told.stderr.lstrip().startswith("{"), "no JSON log lines"


def test_worker_processes_log_in_our_format_with_fields(settings: Settings, tmp_path: Path) -> None:
    """dramatiq sets up its own `%(message)s` logging in each worker process; `yiwang worker` puts ours back."""
    env = dict(
        os.environ,
        DATABASE_URL=settings.database_url or "",
        NATS_URL=settings.nats_url or "",
        DATA_DIR=str(tmp_path),
        LOG_FORMAT="text",
        LOG_LEVEL="DEBUG",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops", "worker", "--processes", "1", "--threads", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr
        for line in proc.stderr:
            seen.append(line.rstrip())
            if re.search(r"DEBUG +core\.logs: logging ready  proc=worker-process$", line.rstrip()):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(90), "\n".join(seen[-40:])
    finally:
        proc.send_signal(signal.SIGTERM)  # dramatiq's main process stops its workers
        proc.wait(timeout=60)

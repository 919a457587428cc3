"""Analysis in worker processes gives exactly what the writer would compute, falls back when it cannot run, and
dies with the writer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import psutil
import pytest

import core.search.parallel as parallel
from core.search.models import IndexDoc
from core.search.tantivy_schema import analyse
from tests.conftest import ROOT
from tests.polling import eventually


def docs(n: int) -> list[IndexDoc]:
    return [
        IndexDoc(id=f"d{i}", url=f"http://x/{i}", title=f"关于做好第{i}批居民身份证补领工作的通知",
                 text="中国农业发展银行示范市分行办理住房公积金贷款，联系电话0311-88615047。" * 3, site="s",
                 kind="policy", published_at=date(2024, 1, 1))
        for i in range(n)
    ]  # fmt: skip


def test_parallel_analysis_equals_local_analysis() -> None:
    batch = docs(parallel.MIN_PARALLEL + 5)
    assert parallel.analyse_all(batch) == [analyse(d) for d in batch]


def test_a_broken_pool_falls_back_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    dying = ProcessPoolExecutor(max_workers=1, initializer=os._exit, initargs=(3,))  # workers die at start
    monkeypatch.setattr(parallel, "_pool", dying)
    monkeypatch.setattr(parallel, "_disabled", False)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    batch = docs(parallel.MIN_PARALLEL)
    assert parallel.analyse_all(batch) == [analyse(d) for d in batch]
    assert parallel._disabled and parallel._pool is None, "later batches do not retry a broken pool"


# A writer process that starts the pool and waits; the test kills it with -9 (no supervisor, no group kill).
WRITER = """
import os, sys, time
import core.search.parallel as parallel
if __name__ == "__main__":
    pool = parallel._executor()
    assert pool is not None
    list(pool.map(abs, range(8)))
    print(os.getpid(), flush=True)
    time.sleep(600)
"""


@pytest.mark.skipif(parallel.workers() < 2, reason="the pool runs on two cores or more")
async def test_pool_workers_die_with_the_process_that_made_them(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(script), cwd=ROOT, stdout=asyncio.subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout
    try:
        pid = int(await proc.stdout.readline())
        helpers = psutil.Process(pid).children(recursive=True)
        assert any("forkserver" in " ".join(p.cmdline()) for p in helpers), "the pool started"
        proc.kill()
        await eventually(lambda: alive(helpers), lambda left: not left, timeout=10, what="orphaned workers gone")
        await proc.wait()  # returns once every holder of its pipe is gone
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the test's own group, should the assertion fail


async def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    def running(p: psutil.Process) -> bool:
        try:
            return p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    return [p for p in procs if running(p)]

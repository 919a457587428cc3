"""Analysis in worker processes gives exactly what the writer would compute, and falls back when it cannot run."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date

import pytest

import core.search.parallel as parallel
from core.search.models import IndexDoc
from core.search.tantivy_schema import analyse


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

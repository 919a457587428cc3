"""Document analysis spread over a small process pool, ahead of the single index writer."""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from core.search.models import IndexDoc
from core.search.tantivy_schema import Analysed, analyse

# Below this many documents the pool's pickling costs more than it saves.
MIN_PARALLEL = 64
CHUNK = 32

_pool: ProcessPoolExecutor | None = None
_disabled = False
_lock = threading.Lock()
log = logging.getLogger(__name__)


def _start_worker() -> None:
    """Pool worker start: die with the process that made the pool, then load the dictionaries."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        # Killed with -9, the writer process cannot shut its pool down; orphaned workers would hold its
        # output pipe (and the forkserver) forever. The parent's sentinel ends when it dies.
        threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    _warm()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(1)


def _warm() -> None:
    from core.textzh.analyzer import get_analyzer

    get_analyzer().index_terms("预热分词词典")  # load the dictionaries once per worker, not per batch


def _analyse_chunk(docs: Sequence[IndexDoc]) -> list[Analysed]:
    return [analyse(doc) for doc in docs]


def workers() -> int:
    """Analysis processes: the cores this process may use, at most 4 (the writer needs one too)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return min(cores, 4)


def _executor() -> ProcessPoolExecutor | None:
    global _pool
    if _disabled or workers() < 2:
        return None
    with _lock:
        if _pool is None:
            # forkserver: children never inherit the writer's threads or locks
            context = multiprocessing.get_context("forkserver")
            _pool = ProcessPoolExecutor(max_workers=workers(), mp_context=context, initializer=_start_worker)
        return _pool


def analyse_all(docs: Sequence[IndexDoc]) -> list[Analysed]:
    """Analyse documents, in parallel processes when there are enough of them to pay for it."""
    pool = _executor() if len(docs) >= MIN_PARALLEL else None
    if pool is None:
        return [analyse(doc) for doc in docs]
    chunks = [docs[i : i + CHUNK] for i in range(0, len(docs), CHUNK)]
    try:
        return [a for part in pool.map(_analyse_chunk, chunks) for a in part]
    except (BrokenProcessPool, OSError, pickle.PicklingError) as exc:
        _disable(exc)
        return [analyse(doc) for doc in docs]


def _disable(exc: BaseException) -> None:
    """A pool that cannot start (no forkserver, an unimportable main script) falls back to this process."""
    global _pool, _disabled
    with _lock:
        _disabled = True
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
    log.warning("parallel analysis unavailable; analysing in the writer process", extra={"error": repr(exc)})

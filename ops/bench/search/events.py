"""`python -m ops.bench.search.events --docs N`: index N generated documents the way production does, from events."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from nats.js.errors import NotFoundError

from core.bus import Bus, consumer_lag
from core.db import connect_pool, migrate
from core.documents.importer import ImportSummary, import_documents
from core.errors import Conflict, Invalid, Upstream
from core.search.freshness import PROJECTOR, PROJECTOR_STREAM, wait_until_projected
from core.search.models import IndexDoc, SearchRequest
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from ops.bench.search.corpus import document, documents
from ops.embedded import throwaway_services

WARMUP_DOCS = 256  # enough for full consumer batches, so the projector's analysis pool is started before timing
SAMPLES = 5  # documents looked up by title and date once the import returns
IMPORT_BATCH = 200  # `yiwang import --batch` default


def _line(doc: IndexDoc, url: str | None = None) -> str:
    """One `yiwang import` JSONL line (docs/import.md); no site, so the importer's own site 'imported' is used."""
    published = doc.published_at.isoformat() if doc.published_at else None
    return json.dumps(
        {
            "url": url or doc.url,
            "title": doc.title,
            "text": doc.text,
            "kind": doc.kind,
            "published_at": published,
            "department": doc.department,
            "region": doc.region,
        },
        ensure_ascii=False,
    )


def _write_jsonl(path: Path, docs: Iterable[IndexDoc]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(_line(doc) + "\n" for doc in docs)


def _read_lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:  # as `yiwang import` reads its file
        yield from fh


def _warmup_lines(count: int) -> list[str]:
    """Documents of their own (new urls and texts on every call), so each call announces them afresh."""
    base, token = 10**12 + secrets.randbelow(10**12), secrets.token_hex(4)
    return [_line(document(base + k), f"http://bench.invalid/warmup/{token}/{k}.html") for k in range(count)]


async def _start_projector(db_url: str, nats_url: str, events_dir: Path) -> asyncio.subprocess.Process:
    """`yiwang consumers --only search-projector` on its own data dir, as the mesh runs it."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "NATS_URL": nats_url,
        "DATA_DIR": str(events_dir),
        "SEARCH_ENGINE": "tantivy",
        "LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops",
        "consumers",
        "--only",
        PROJECTOR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=2,
        start_new_session=True,  # stdout to our stderr: ours carries the JSON
    )


async def _stop_projector(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM lets the runner finish its batch and close the index writer; its process group goes if it hangs."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=30)
        except TimeoutError:
            _kill_group(proc.pid)
            await proc.wait()
    if proc.returncode != 0:
        # A consumer that crashed or was killed leaves its analysis pool (forkserver, workers) running.
        _kill_group(proc.pid)


def _kill_group(pgid: int) -> None:
    """The projector process and what it started: its own session, begun by us (start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


async def _until_pulling(bus: Bus, proc: asyncio.subprocess.Process, timeout_s: float = 120.0) -> None:
    """Wait until the projector process holds a pull request open on its durable consumer."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.returncode is not None:
            raise Upstream(f"the {PROJECTOR} process exited with code {proc.returncode} before consuming")
        with contextlib.suppress(NotFoundError):
            if (await consumer_lag(bus, PROJECTOR_STREAM, PROJECTOR))["waiting"] > 0:
                return
        if time.monotonic() > deadline:
            raise Upstream(f"the {PROJECTOR} process did not start consuming within {timeout_s:.0f} s")
        await asyncio.sleep(0.1)


async def _import(
    pool: asyncpg.Pool,
    bus: Bus,
    proc: asyncio.subprocess.Process,
    lines: Iterable[str | bytes],
    *,
    n: int,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """`yiwang import` with its defaults; fail at once when the projector process dies instead of stalling."""
    wait_timeout_s = max(600.0, n / 5)  # the backlog left when the last batch is stored grows with n
    imported = asyncio.create_task(
        import_documents(pool, bus, lines, batch_size=IMPORT_BATCH, progress=progress, wait_timeout_s=wait_timeout_s)
    )
    exited = asyncio.create_task(proc.wait())
    try:
        await asyncio.wait({imported, exited}, return_when=asyncio.FIRST_COMPLETED)
        if imported.done():
            return imported.result()
        raise Upstream(f"the {PROJECTOR} process exited with code {proc.returncode} during the import")
    finally:
        for task in (imported, exited):
            task.cancel()
        await asyncio.gather(imported, exited, return_exceptions=True)


@dataclass
class _Progress:
    """Lines stored (counted by the importer's callback) and changes the projector has acked, each ~10%."""

    n: int
    base_seq: int
    started: float
    stored: int = 0

    def add(self, lines: int) -> None:
        self.stored += lines

    async def report(self, bus: Bus) -> None:
        shown = (0, 0)
        while True:
            await asyncio.sleep(0.5)
            with contextlib.suppress(NotFoundError):
                lag = await consumer_lag(bus, PROJECTOR_STREAM, PROJECTOR)
                projected = max(0, lag["acked"] - self.base_seq)
                step = (self.stored * 10 // self.n, projected * 10 // self.n)
                if step != shown:
                    shown = step
                    print(
                        f"events: stored {self.stored}/{self.n}, projected {min(projected, self.n)}/{self.n}, "
                        f"{time.perf_counter() - self.started:.1f} s",
                        file=sys.stderr,
                        flush=True,
                    )


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _findable(engine: TantivyEngine, doc: IndexDoc) -> bool:
    """A search for the title within a few days of its date lists the document (titles repeat, dates rarely)."""
    day = doc.published_at
    assert day is not None
    req = SearchRequest(
        query=doc.title,
        published_after=day - timedelta(days=1),
        published_before=day + timedelta(days=1),
        limit=50,
        highlight=False,
    )
    return any(hit.url == doc.url for hit in (await engine.search(req)).hits)


async def _first_ack_after(bus: Bus, seq: int) -> float:
    """perf_counter time at which the projector's ack floor first passes `seq` (polled every 20 ms)."""
    while True:
        with contextlib.suppress(NotFoundError):
            if (await consumer_lag(bus, PROJECTOR_STREAM, PROJECTOR))["acked"] > seq:
                return time.perf_counter()
        await asyncio.sleep(0.02)


def _check_all_new(summary: ImportSummary, n: int) -> None:
    if summary.added != n:
        raise Conflict(
            f"expected {n} new documents; the import added {summary.added}, updated {summary.updated}, "
            f"left {summary.unchanged} unchanged, rejected {summary.rejected[:3]}: "
            "use a fresh database or another start"
        )


async def _check_searchable(reader: TantivyEngine, before: int, n: int, start: int) -> tuple[int, list[int]]:
    """The index counts `n` more documents and search finds a sample of them; returns (count, sample)."""
    searchable = await reader.count()
    sample = sorted({start + k * (n - 1) // max(1, SAMPLES - 1) for k in range(SAMPLES)})
    missing = [i for i in sample if not await _findable(reader, document(i))]
    if searchable - before < n or missing:
        raise Upstream(
            f"the projector acked every change but the index has {searchable - before} of {n} new "
            f"documents; not found by search: {missing}"
        )
    return searchable, sample


async def index_through_events(
    db_url: str, nats_url: str, data_dir: Path, n: int, *, start: int = 0, warmup: int = WARMUP_DOCS
) -> dict[str, float]:
    """Import documents `start`..`start + n` of the corpus, then time the projector making them searchable.

    The path is production's, in two timed phases:

    1. Events: `core.documents.importer.import_documents` (the body of `yiwang import`) stores batches of
       200 in Postgres and publishes a `DocumentChanged` per stored document on JetStream after each
       commit; the projector is stopped meanwhile, so the events wait in the stream (`import_s`).
    2. Indexing from events: the projector runs as production runs it, in a process of its own
       (`python -m ops consumers --only search-projector`: workers.runtime.run_consumers, the real
       ConsumerRunner and SearchProjector, which read the rows back from Postgres and upsert into
       tantivy with its analysis process pool) and drains the backlog. `seconds` runs from its first
       ack to the ack of the last change (the projector acks a batch once the engine has it), so its
       start-up (~4 s, paid once per process) is not counted; `start_s` says what it was.

    Its DATA_DIR is `data_dir / "events"`, so its index is `data_dir/events/search/documents` and another
    TantivyEngine on `data_dir` is left alone. `warmup` documents of their own go the whole way first
    (schema, streams, durable consumer, index created). Afterwards an index reader in this process (as
    the API opens one) must count `n` more documents and find a sample by search, else Upstream; Conflict
    when the documents are not all new (reuse of a database with the same `start`).
    """
    if n < 1:
        raise Invalid("n must be at least 1")
    events_dir = data_dir / "events"
    events_dir.mkdir(parents=True, exist_ok=True)
    source = events_dir / f"import-{start}-{n}.jsonl"
    settings = Settings(database_url=db_url, nats_url=nats_url)
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(source.unlink, missing_ok=True)
        await asyncio.to_thread(_write_jsonl, source, documents(n, start))
        pool = await connect_pool(settings, max_size=3)
        stack.push_async_callback(pool.close)
        bus = await Bus(settings, name="bench-import").connect()
        stack.push_async_callback(bus.close)
        await bus.ensure_streams()
        proc = await _start_projector(db_url, nats_url, events_dir)
        stack.push_async_callback(_stop_projector, proc)  # stopping twice is harmless
        await _until_pulling(bus, proc)
        warm_started = time.perf_counter()
        if warmup:
            await _import(pool, bus, proc, _warmup_lines(warmup), n=warmup)
        warmup_s = time.perf_counter() - warm_started
        await _stop_projector(proc)
        reader = TantivyEngine(events_dir)
        await reader.open()
        stack.push_async_callback(reader.close)
        before = await reader.count()
        base_seq = int((await bus.js.stream_info(PROJECTOR_STREAM)).state.last_seq or 0)
        progress = _Progress(n, base_seq, time.perf_counter())
        import_started = time.perf_counter()
        summary = await import_documents(
            pool, bus, _read_lines(source), batch_size=IMPORT_BATCH, progress=progress.add, wait=False
        )
        import_s = time.perf_counter() - import_started
        _check_all_new(summary, n)
        last_seq = int((await bus.js.stream_info(PROJECTOR_STREAM)).state.last_seq or 0)
        print(f"events: {n} stored and announced in {import_s:.1f} s; projecting", file=sys.stderr, flush=True)
        launched = time.perf_counter()
        proc = await _start_projector(db_url, nats_url, events_dir)
        stack.push_async_callback(_stop_projector, proc)
        progress.started = launched
        monitor = asyncio.create_task(progress.report(bus))
        stack.push_async_callback(_cancel, monitor)
        first = asyncio.create_task(_first_ack_after(bus, base_seq))
        stack.push_async_callback(_cancel, first)
        await wait_until_projected(bus, last_seq, timeout_s=max(600.0, n / 5), stall_s=120.0)
        done = time.perf_counter()
        first_ack = await first
        await _cancel(monitor)
        searchable, sample = await _check_searchable(reader, before, n, start)
    seconds = done - first_ack
    return {
        "docs": n,
        "seconds": seconds,
        "docs_per_s": n / seconds,
        "searchable": searchable,
        "start_s": first_ack - launched,
        "import_s": import_s,
        "import_docs_per_s": n / import_s,
        "warmup_s": warmup_s,
        "sampled": len(sample),
    }


async def _run(args: argparse.Namespace, tmp: Path, db_url: str, nats_url: str) -> dict[str, float]:
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=2)
    try:
        await migrate(pool)
    finally:
        await pool.close()
    return await index_through_events(db_url, nats_url, tmp / "data", args.docs, start=args.start, warmup=args.warmup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--start", type=int, default=0, help="number of the first corpus document")
    parser.add_argument("--warmup", type=int, default=WARMUP_DOCS, help="documents imported before timing")
    args = parser.parse_args()
    with throwaway_services("yw-events-bench-") as (tmp, db_url, nats_url):
        report = asyncio.run(_run(args, tmp, db_url, nats_url))
    print(json.dumps(report))


if __name__ == "__main__":  # the analysis pool's forkserver imports the main module: start nothing on import
    main()

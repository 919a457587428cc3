"""After a fault: the mesh settled, then its counts: pages = documents = indexed, nothing run twice, no event lost."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from core.bus import Bus, consumer_lag
from core.search.reindex import count_indexable
from core.search.tantivy_engine import TantivyEngine

# Durables that must drain: PageFetched -> indexer -> DocumentChanged -> projector.
DURABLES = [("YW_CRAWL", "indexer"), ("YW_CRAWL", "indexer-imports"), ("YW_DOC", "search-projector")]
# A crawled URL makes a document when the crawl kept it as content; columns and listings are navigation.
CRAWLED = """select count(*) from crawl_urls u join live_documents d on d.url = u.url
             where u.site_id = any($1::text[]) and u.state = 'done'"""
DONE = "select count(*) from crawl_urls where site_id = any($1::text[]) and state = 'done' and kind = any($2::text[])"
DOCUMENTS = "select count(*) from live_documents where site_id = any($1::text[]) and source = 'crawl'"
OVERLAPPING_CRAWLS = """select count(*) from crawls a join crawls b on a.site_id = b.site_id and a.id < b.id
    where a.started_at is not null and b.started_at is not null
      and b.started_at < coalesce(a.finished_at, 'infinity') and a.started_at < coalesce(b.finished_at, 'infinity')"""
# The scheduler ticks every 10 s: one job enqueued twice by a fault shows as two rows closer than a tick apart
# (an inspection after each finished crawl is not one: a crawl that ends between two inspections asks for the second).
TWICE = """select count(*) from job_runs a join job_runs b on a.actor = b.actor and a.key = b.key and a.id < b.id
           where abs(extract(epoch from b.enqueued_at - a.enqueued_at)) < $1 and b.id > $2
             and not (a.actor = 'inspect_site' and exists (
                 select 1 from crawls c where c.site_id = a.key
                   and c.finished_at between a.enqueued_at and b.enqueued_at))"""
FUTURE = "select count(*) from job_runs where enqueued_at > now() + interval '2 min'"


@dataclass
class Counts:
    """The figures one check compares."""

    pages: int = 0
    documents: int = 0
    indexable: int = 0
    indexed: int = 0
    imported_missing: int = 0
    crawls_overlapping: int = 0
    jobs_twice: int = 0
    jobs_in_future: int = 0
    events_missing: int = 0
    dead_letters: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def settled(pool: asyncpg.Pool, bus: Bus, timeout: float) -> float:
    """Wait until no crawl is queued or running and the durables have nothing pending; seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(Exception):
            busy = await pool.fetchval("select count(*) from crawls where state in ('queued', 'running')")
            lags = [await consumer_lag(bus, stream, durable) for stream, durable in DURABLES]
            if not busy and all(lag["pending"] == 0 and lag["ack_pending"] == 0 for lag in lags):
                return time.monotonic() - started
        await asyncio.sleep(1.0)
    return time.monotonic() - started


async def index_count(data_dir: Path) -> int:
    reader = TantivyEngine(data_dir)
    await reader.open()
    try:
        return await reader.count()
    finally:
        await reader.close()


async def doc_events(bus: Bus) -> set[tuple[str, int]]:
    """(document id, version) of every DocumentChanged still in YW_DOC, from the idempotency keys."""
    seen: set[tuple[str, int]] = set()
    info = await bus.js.stream_info("YW_DOC")
    last = int(info.state.last_seq)
    if not info.state.messages:
        return seen
    sub = await bus.js.subscribe("yw.doc.>", ordered_consumer=True, headers_only=True)
    try:
        while True:
            msg = await sub.next_msg(timeout=5)
            key = (msg.headers or {}).get("Nats-Msg-Id", "")
            parts = key.split(":")
            if len(parts) >= 3 and parts[0] == "doc":
                seen.add((parts[1], int(parts[2])))
            if msg.metadata.sequence.stream >= last:
                return seen
    finally:
        await sub.unsubscribe()


async def measure(
    pool: asyncpg.Pool, bus: Bus, data_dir: Path, sites: list[str], imported: set[str], since_job: int
) -> Counts:
    c = Counts()
    c.pages = int(await pool.fetchval(CRAWLED, sites))
    c.documents = int(await pool.fetchval(DOCUMENTS, sites))
    c.indexable = await count_indexable(pool)
    c.indexed = await index_count(data_dir)
    stored = {
        r["url"] for r in await pool.fetch("select url from documents where url = any($1::text[])", list(imported))
    }
    c.imported_missing = len(imported - stored)
    c.crawls_overlapping = int(await pool.fetchval(OVERLAPPING_CRAWLS))
    c.jobs_twice = int(await pool.fetchval(TWICE, 9.0, since_job))
    c.jobs_in_future = int(await pool.fetchval(FUTURE))
    live = {(str(r["id"]), int(r["version"])) for r in await pool.fetch("select id, version from live_documents")}
    c.events_missing = len(live - await doc_events(bus))
    c.dead_letters = int((await bus.js.stream_info("YW_DLQ")).state.messages)
    judge(c)
    return c


def judge(c: Counts) -> None:
    if c.pages != c.documents:
        c.problems.append(f"crawled pages {c.pages} != documents {c.documents}")
    if c.indexed != c.indexable:
        c.problems.append(f"indexed {c.indexed} != indexable documents {c.indexable}")
    for name in ("imported_missing", "crawls_overlapping", "jobs_twice", "jobs_in_future", "events_missing"):
        if value := getattr(c, name):
            c.problems.append(f"{name.replace('_', ' ')}: {value}")

"""One search-index writer among many consumers processes: elected by a Postgres lease, taken over when the
leader dies, never two at a time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged
from core.bus.progress import DOC_STREAM
from core.election import holder
from core.search import IndexDoc, SearchEngine
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.search_fixtures import make_site, running, site_consumers, site_hits, titles
from tests.integration.test_search_projection import page
from tests.polling import eventually
from workers.elected import ElectedRunner
from workers.projector import ReplicaProjector
from workers.search_writer import writer_preparation

pytestmark = pytest.mark.integration


@dataclass
class Writes:
    """Every write any projector made: who, and how many wrote at once at most."""

    by: list[str] = field(default_factory=list)
    active: int = 0
    most_at_once: int = 0


class Recorded:
    """An engine that notes each write in a log shared by every process's engine."""

    def __init__(self, engine: SearchEngine, writes: Writes, label: str) -> None:
        self.engine, self.writes, self.label = engine, writes, label

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    async def _write(self, op: str, items: Sequence[Any]) -> None:
        self.writes.active += 1
        self.writes.most_at_once = max(self.writes.most_at_once, self.writes.active)
        self.writes.by.append(self.label)
        try:
            await getattr(self.engine, op)(items)
        finally:
            self.writes.active -= 1

    async def upsert(self, docs: Sequence[IndexDoc]) -> None:
        await self._write("upsert", docs)

    async def delete(self, ids: Sequence[str]) -> None:
        await self._write("delete", ids)


@contextlib.asynccontextmanager
async def contenders(
    pool: asyncpg.Pool, bus: Bus, settings: Settings, data_dir: Path, site: str, writes: Writes
) -> AsyncIterator[dict[str, ElectedRunner]]:
    """Two consumers processes' search writers (a and b) over one index, each with its own lease connection."""
    name = f"search-projector-{site}"

    def maker(label: str) -> Any:
        def make() -> ReplicaProjector:
            projector = ReplicaProjector(pool, Recorded(TantivyEngine(data_dir), writes, label))  # type: ignore[arg-type]
            projector.name, projector.subject = name, f"{DocumentChanged.SUBJECT}.{site}"
            return projector

        return make

    runners = {
        label: ElectedRunner(
            bus=bus,
            dsn=settings.database_url or "",
            name=name,
            make=maker(label),
            prepare=writer_preparation(pool, bus, marker=None, retry_s=0.1),
            retry_s=0.2,
            check_s=0.5,
            batch=32,
            ack_wait_s=10,
        )
        for label in ("a", "b")
    }
    tasks = {label: asyncio.create_task(r.run()) for label, r in runners.items()}
    try:
        yield runners
    finally:
        for r in runners.values():
            r.stop()
        await asyncio.gather(*tasks.values())
        with contextlib.suppress(Exception):
            await bus.js.delete_consumer(DOC_STREAM, name)


async def leading(runners: dict[str, ElectedRunner]) -> list[str]:
    return [label for label, r in runners.items() if r.leading]


async def test_the_follower_takes_the_index_writer_over_and_two_never_write(
    pg_pool: asyncpg.Pool, bus: Bus, settings: Settings, tmp_path: Path
) -> None:
    site = await make_site(pg_pool)
    reader = TantivyEngine(tmp_path)
    await reader.open()
    indexer, _ = site_consumers(pg_pool, bus, reader, site)
    writes = Writes()
    async with running(bus, indexer), contenders(pg_pool, bus, settings, tmp_path, site, writes) as runners:
        first = (await eventually(lambda: leading(runners), lambda led: len(led) == 1, what="a leader"))[0]
        await asyncio.sleep(1.0)  # the other keeps standing by
        assert await leading(runners) == [first]
        one = page(site, "zc/1.html", "关于养老服务补贴的通知", "养老服务补贴。")
        await bus.publish(one)
        await eventually(lambda: site_hits(reader, site), lambda r: one.url in titles(r), what="indexed")

        # The leader dies (SIGKILL): its connection closes, Postgres frees the lock, the follower leads.
        second = "b" if first == "a" else "a"
        lease = f"search-projector-{site}"
        killed = time.monotonic()
        runners[first].stop()
        await pg_pool.execute("select pg_terminate_backend($1)", await holder(pg_pool, lease))
        await eventually(lambda: leading(runners), lambda led: led == [second], timeout=10, what="a takeover")
        takeover = (runners[second].led_at or 0) - killed
        assert 0 < takeover < 3, f"the follower took {takeover:.2f} s"
        two = page(site, "zc/2.html", "关于高龄津贴的通知", "高龄津贴。")
        await bus.publish(two)
        await eventually(lambda: site_hits(reader, site), lambda r: two.url in titles(r), what="indexed after")

        # The new leader's lock is lost while it runs (a network blip): it stops writing and has to win the
        # lease again before it writes another document.
        await pg_pool.execute("select pg_terminate_backend($1)", await holder(pg_pool, lease))
        await eventually(lambda: asyncio.sleep(0, runners[second].terms), lambda t: t == 2, what="a new term")
        three = page(site, "zc/3.html", "关于残疾人补贴的通知", "残疾人补贴。")
        await bus.publish(three)
        await eventually(lambda: site_hits(reader, site), lambda r: three.url in titles(r), what="indexed again")

    assert writes.most_at_once == 1
    switch = writes.by.index(second)
    assert set(writes.by[:switch]) == {first} and set(writes.by[switch:]) == {second}, writes.by
    await reader.close()

"""Search replicas: each host's own index from YW_DOC by its own durable; a new or wiped one bootstraps from
Postgres at a recorded stream sequence and converges with the others."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged, PageFetched
from core.bus.progress import DOC_STREAM
from core.search.replica import marker_path, read_marker
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration import search_fixtures
from tests.integration.search_fixtures import make_site, running, site_consumers, site_hits, titles
from tests.integration.test_search_projection import page, postgres_view, store
from tests.polling import eventually
from workers.elected import ElectedRunner
from workers.projector import ReplicaProjector
from workers.search_writer import writer_preparation

pytestmark = pytest.mark.integration
own_database = search_fixtures.own_database


def noted(seq: int | None) -> bool:
    return seq is not None


@contextlib.asynccontextmanager
async def replica(pool: asyncpg.Pool, bus: Bus, dsn: str, data_dir: Path, site: str, name: str) -> AsyncIterator[None]:
    """A search host's consumers process for this site: the elected writer of its own index and durable."""

    def make() -> ReplicaProjector:
        projector = ReplicaProjector(pool, TantivyEngine(data_dir))
        projector.name, projector.subject = name, f"{DocumentChanged.SUBJECT}.{site}"
        return projector

    runner = ElectedRunner(
        bus=bus,
        dsn=dsn,
        name=name,
        make=make,
        batch=32,
        ack_wait_s=10,
        retry_s=0.2,
        prepare=writer_preparation(pool, bus, marker=marker_path(data_dir)),
    )
    task = asyncio.create_task(runner.run())
    try:
        yield
    finally:
        runner.stop()
        await task


def burst(site: str, round_: int) -> list[PageFetched]:
    """New pages, revisions of earlier ones and removals, in one go."""
    new = [
        page(site, f"zc/{round_}-{i}.html", f"第{round_}批养老服务补贴通知{i}号", "养老服务补贴。") for i in range(12)
    ]
    revised = [page(site, f"zc/0-{i}.html", f"养老服务补贴通知{i}号（第{round_}次修订）", "修订。") for i in range(3)]
    gone = [page(site, f"zc/0-{i}.html", gone=True) for i in range(3, 5)] if round_ == 1 else []
    return new + revised + gone


async def same_as_postgres(pool: asyncpg.Pool, site: str, events: list[PageFetched], *readers: TantivyEngine) -> None:
    """Every replica holds what Postgres holds, once Postgres holds the events' changes."""

    async def views() -> tuple[dict[str, str], list[dict[str, str]]]:
        return await postgres_view(pool, site), [titles(await site_hits(r, site)) for r in readers]

    def converged(seen: tuple[dict[str, str], list[dict[str, str]]]) -> bool:
        stored, held = seen
        latest = {e.url: e for e in events}  # a later revision of a page supersedes an earlier one
        applied = all((stored.get(e.url) == e.title) != e.gone for e in latest.values())
        return applied and all(view == stored for view in held)

    await eventually(views, converged, timeout=15, what="replicas equal to Postgres")
    found = [await site_hits(r, site, "养老服务补贴") for r in readers]
    assert len({r.total for r in found}) == 1 and len({frozenset(titles(r).items()) for r in found}) == 1


async def test_replicas_converge_and_a_wiped_one_rebuilds_from_a_recorded_sequence(
    own_database: tuple[str, asyncpg.Pool], bus: Bus, settings: Settings, tmp_path: Path
) -> None:
    dsn, pool = own_database
    site = await make_site(pool)
    await store(pool, [page(site, f"zc/0-{i}.html", f"养老服务补贴通知{i}号", "养老服务补贴。") for i in range(5)])
    indexer, _ = site_consumers(pool, bus, TantivyEngine(tmp_path / "unused"), site)
    a_dir, b_dir = tmp_path / "host-a", tmp_path / "host-b"
    names = {d: f"search-projector-{site}-{d.name}" for d in (a_dir, b_dir)}
    a_reader, b_reader = TantivyEngine(a_dir), TantivyEngine(b_dir)
    try:
        async with running(bus, indexer), replica(pool, bus, dsn, a_dir, site, names[a_dir]):
            async with replica(pool, bus, dsn, b_dir, site, names[b_dir]):
                await eventually(lambda: asyncio.to_thread(read_marker, marker_path(b_dir), names[b_dir]), noted)
                await a_reader.open()
                await b_reader.open()
                await same_as_postgres(pool, site, [], a_reader, b_reader)  # both bootstrapped from Postgres
                first = burst(site, 1)
                for event in first:
                    await bus.publish(event)
                await same_as_postgres(pool, site, first, a_reader, b_reader)
            # Host b dies and loses its disk; changes go on meanwhile; it comes back empty and bootstraps.
            await b_reader.close()
            shutil.rmtree(b_dir)
            second = burst(site, 2)
            for event in second:
                await bus.publish(event)
            async with replica(pool, bus, dsn, b_dir, site, names[b_dir]):
                seq = await eventually(lambda: asyncio.to_thread(read_marker, marker_path(b_dir), names[b_dir]), noted)
                third = burst(site, 3)
                for event in third:
                    await bus.publish(event)
                b_reader = TantivyEngine(b_dir)
                await b_reader.open()
                await same_as_postgres(pool, site, second + third, a_reader, b_reader)
                info = await bus.js.consumer_info(DOC_STREAM, names[b_dir])
                assert info.config.opt_start_seq == seq + 1, "the new durable starts right after the rebuild's note"
    finally:
        await a_reader.close()
        await b_reader.close()
        for name in names.values():
            with contextlib.suppress(Exception):
                await bus.js.delete_consumer(DOC_STREAM, name)

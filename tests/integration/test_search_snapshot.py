"""A new search replica from a snapshot of another: the snapshot is taken while the first one writes, the new
one reads the stream after the snapshot's sequence and answers as the first does, without a Postgres
rebuild; a snapshot that cannot serve is refused (or falls back to the rebuild) and loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import secrets
import shutil
import tarfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged
from core.bus.progress import DOC_STREAM
from core.errors import Invalid
from core.search import SearchRequest
from core.search.models import IndexDoc
from core.search.replica import marker_path, read_marker, restore_snapshot, take_snapshot, write_marker
from core.search.snapshot import MANIFEST
from core.search.tantivy_engine import TantivyEngine
from core.search.tantivy_store import POINTER
from core.settings import Settings, get_settings
from ops.cli import main
from tests.integration import search_fixtures
from tests.integration.search_fixtures import make_site, running, site_consumers
from tests.integration.test_search_projection import page, store
from tests.integration.test_search_replicas import burst, same_as_postgres
from tests.polling import eventually
from workers.elected import ElectedRunner
from workers.projector import ReplicaProjector
from workers.search_writer import writer_preparation

pytestmark = pytest.mark.integration
own_database = search_fixtures.own_database


@contextlib.asynccontextmanager
async def replica(
    pool: asyncpg.Pool, bus: Bus, dsn: str, data_dir: Path, site: str, name: str, snapshot: Path | None = None
) -> AsyncIterator[None]:
    """A search host's consumers process for this site, started with SEARCH_REPLICA_SNAPSHOT when given."""

    def make() -> ReplicaProjector:
        projector = ReplicaProjector(pool, TantivyEngine(data_dir))
        projector.name, projector.subject = name, f"{DocumentChanged.SUBJECT}.{site}"
        return projector

    prepare = writer_preparation(pool, bus, marker=marker_path(data_dir), snapshot=snapshot)
    runner = ElectedRunner(
        bus=bus, dsn=dsn, name=name, make=make, batch=32, ack_wait_s=10, retry_s=0.2, prepare=prepare
    )
    task = asyncio.create_task(runner.run())
    try:
        yield
    finally:
        runner.stop()
        await task


def noted(seq: int | None) -> bool:
    return seq is not None


def note(data_dir: Path) -> dict[str, object]:
    return dict(json.loads(marker_path(data_dir).read_text(encoding="utf-8")))


async def answers(
    engine: TantivyEngine, site: str
) -> list[tuple[int, dict[str, str], dict[str, list[tuple[str, int]]]]]:
    """What a user sees for a few searches: totals, hits (url -> title) and facet counts."""
    out = []
    for query in ("养老服务补贴", "修订", "第3批", ""):
        req = SearchRequest(query=query, filters={"site": [site]}, facets=["kind"], limit=100, highlight=False)
        found = await engine.search(req)
        out.append((found.total, {h.url: h.title for h in found.hits}, found.facets))
    return out


def rewrite(src: Path, dst: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """A copy of a snapshot tar with members changed (None: left out)."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w") as tout:
        for member in tin:
            fh = tin.extractfile(member)
            data = change(member.name, fh.read() if fh else b"")
            if data is not None:
                member.size = len(data)
                tout.addfile(member, io.BytesIO(data))


def damage(name: str, data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF]) if name.endswith(".store") else data


async def test_a_replica_from_a_snapshot_converges_without_a_rebuild_and_a_damaged_one_falls_back(
    own_database: tuple[str, asyncpg.Pool], bus: Bus, tmp_path: Path
) -> None:
    dsn, pool = own_database
    site = await make_site(pool)
    await store(pool, [page(site, f"zc/0-{i}.html", f"养老服务补贴通知{i}号", "养老服务补贴。") for i in range(5)])
    indexer, _ = site_consumers(pool, bus, TantivyEngine(tmp_path / "unused"), site)
    a_dir, b_dir = tmp_path / "host-a", tmp_path / "host-b"
    names = {d: f"search-projector-{site}-{d.name}" for d in (a_dir, b_dir)}
    a_reader, b_reader = TantivyEngine(a_dir), TantivyEngine(b_dir)
    snap = tmp_path / "a.tar"
    try:
        async with running(bus, indexer), replica(pool, bus, dsn, a_dir, site, names[a_dir]):
            await eventually(lambda: asyncio.to_thread(read_marker, marker_path(a_dir), names[a_dir]), noted)
            await a_reader.open()
            first = burst(site, 1)
            for event in first:
                await bus.publish(event)
            await same_as_postgres(pool, site, first, a_reader)
            # The snapshot is taken while a second burst reaches host a; a third lands after it.
            second = burst(site, 2)
            for event in second[:8]:
                await bus.publish(event)
            manifest, *_ = await asyncio.gather(
                take_snapshot(bus, snap, consumer=names[a_dir], marker=marker_path(a_dir)),
                *(bus.publish(event) for event in second[8:]),
            )
            third = burst(site, 3)
            for event in third:
                await bus.publish(event)

            async with replica(pool, bus, dsn, b_dir, site, names[b_dir], snapshot=snap):
                seq = await eventually(lambda: asyncio.to_thread(read_marker, marker_path(b_dir), names[b_dir]), noted)
                await b_reader.open()
                await same_as_postgres(pool, site, second + third, a_reader, b_reader)
                assert await answers(a_reader, site) == await answers(b_reader, site)
                assert seq == manifest.seq and note(b_dir)["from"] == "snapshot", "bootstrapped from the snapshot"
                assert (await bus.js.stream_info(DOC_STREAM)).state.last_seq > seq, "a rebuild would note this"
                info = await bus.js.consumer_info(DOC_STREAM, names[b_dir])
                assert info.config.opt_start_seq == manifest.seq + 1, "b reads the stream right after the snapshot"

            # Host b dies and loses its disk; it comes back with a damaged snapshot, which it refuses, and
            # rebuilds from Postgres instead, missing nothing that happened meanwhile.
            await b_reader.close()
            shutil.rmtree(b_dir)
            fourth = burst(site, 4)
            for event in fourth:
                await bus.publish(event)
            damaged = tmp_path / "damaged.tar"
            rewrite(snap, damaged, damage)
            async with replica(pool, bus, dsn, b_dir, site, names[b_dir], snapshot=damaged):
                await eventually(lambda: asyncio.to_thread(read_marker, marker_path(b_dir), names[b_dir]), noted)
                assert note(b_dir)["from"] == "postgres", "the damaged snapshot was not used"
                b_reader = TantivyEngine(b_dir)
                await b_reader.open()
                await same_as_postgres(pool, site, fourth, a_reader, b_reader)
                assert await answers(a_reader, site) == await answers(b_reader, site)
    finally:
        await a_reader.close()
        await b_reader.close()
        for name in names.values():
            with contextlib.suppress(Exception):
                await bus.js.delete_consumer(DOC_STREAM, name)


async def indexed(data_dir: Path, consumer: str, seq: int) -> None:
    """A replica's index of three documents, its note saying it holds the stream up to `seq`."""
    engine = TantivyEngine(data_dir)
    await engine.open()
    await engine.upsert([IndexDoc(id=f"d{i}", url=f"https://x/{i}", title=f"养老服务通知{i}") for i in range(3)])
    await engine.delete(["d2"])
    await engine.close()
    write_marker(marker_path(data_dir), consumer, seq)


async def test_a_snapshot_that_cannot_serve_is_refused_and_changes_nothing(bus: Bus, tmp_path: Path) -> None:
    consumer = f"search-projector-snap-{secrets.token_hex(4)}"
    last = int((await bus.js.stream_info(DOC_STREAM)).state.last_seq)
    await indexed(tmp_path / "a", consumer, last)
    snap = tmp_path / "a.tar"
    manifest = await take_snapshot(bus, snap, consumer=consumer, marker=marker_path(tmp_path / "a"))
    assert (manifest.seq, manifest.docs, manifest.shards) == (last, 2, 2)

    def manifest_with(**changes: object) -> Callable[[str, bytes], bytes | None]:
        return lambda name, data: json.dumps(json.loads(data) | changes).encode() if name == MANIFEST else data

    cases: dict[str, tuple[Callable[[str, bytes], bytes | None], str]] = {
        "damaged": (damage, "is damaged: its checksum does not match"),
        "schema": (manifest_with(schema_version=manifest.schema_version + 1), "this code reads"),
        "ahead of the stream": (manifest_with(seq=last + 1000), "but the stream ends at"),
        "cut short": (lambda name, data: None if name.endswith(".idx") else data, "lacks"),
        "another stream": (manifest_with(stream_created="2001-01-01T00:00:00+00:00"), "sequences started again"),
        "not a snapshot": (
            lambda name, data: None if name == MANIFEST else data,
            "cut short, or no yiwang search snapshot",
        ),
    }
    target = marker_path(tmp_path / "b")
    for case, (change, message) in cases.items():
        bad = tmp_path / f"{case}.tar"
        rewrite(snap, bad, change)
        with pytest.raises(Invalid, match=message):
            await restore_snapshot(bus, bad, consumer=consumer, marker=target)
        left = list(target.parent.iterdir()) if target.parent.exists() else []
        assert [p.name for p in left if p.name.startswith("gen-")] == [], f"{case}: nothing is left behind"
        assert not target.exists() and not (target.parent / POINTER).exists(), f"{case}: no index, no note"

    restored = await restore_snapshot(bus, snap, consumer=consumer, marker=target)
    assert restored == manifest and read_marker(target, consumer) == last
    reader = TantivyEngine(tmp_path / "b")
    await reader.open()
    try:
        found = await reader.search(SearchRequest(query="养老服务", limit=10, highlight=False))
        assert sorted(h.id for h in found.hits) == ["d0", "d1"]
        await reader.upsert([IndexDoc(id="d3", url="https://x/3", title="养老服务通知3")])  # the restore is writable
        assert await reader.count() == 3
    finally:
        await reader.close()


@pytest.fixture
def yiwang(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., int]]:
    """`yiwang ARGS` in this process with DATA_DIR and SEARCH_REPLICA_ID set; its logging set-up undone after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def run(data_dir: Path, replica_id: str, *argv: str) -> int:
        monkeypatch.setenv("DATA_DIR", str(data_dir))
        monkeypatch.setenv("SEARCH_REPLICA_ID", replica_id)
        get_settings.cache_clear()
        try:
            main(list(argv))
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    yield run
    root.handlers[:], _ = handlers, root.setLevel(level)
    get_settings.cache_clear()


def test_the_cli_snapshots_a_replica_and_restores_it_on_another_host(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    yiwang: Callable[..., int],
) -> None:
    monkeypatch.setenv("NATS_URL", str(settings.nats_url))
    a, b, snap = tmp_path / "a", tmp_path / "b", str(tmp_path / "a.tar")
    assert yiwang(a, "cli-a", "replica", "snapshot", snap) == 2
    assert "no search index at" in capsys.readouterr().err, "an absent index is refused before anything else"

    async def last_seq() -> int:
        bus = await Bus(settings, name="test-cli").connect()
        try:
            return int((await bus.js.stream_info(DOC_STREAM)).state.last_seq)
        finally:
            await bus.close()

    last = asyncio.run(last_seq())
    asyncio.run(indexed(a, "search-projector-cli-a", last))
    assert yiwang(a, "cli-a", "replica", "snapshot", str(tmp_path), "--quiet") == 2
    assert "is a directory: name the file to write" in capsys.readouterr().err, "said before the index is read"
    assert yiwang(a, "cli-a", "replica", "snapshot", snap, "--quiet") == 0
    assert "snapshot of 2 documents in 2 shards" in capsys.readouterr().out

    assert yiwang(b, "cli-b", "replica", "restore", snap, "--quiet") == 0
    assert f"up to sequence {last}" in capsys.readouterr().out
    assert read_marker(marker_path(b), "search-projector-cli-b") == last
    assert yiwang(b, "cli-b", "replica", "restore", snap, "--quiet") == 2
    assert "already has an index here" in capsys.readouterr().err, "a replica in place is not overwritten"

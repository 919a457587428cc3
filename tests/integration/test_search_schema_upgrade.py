"""An index an older schema built (an upgrade that changed the schema) is set aside for an empty one, searches
keep answering, and the elected search writer rebuilds it from Postgres before it consumes: no `yiwang reindex`
by hand. Real Postgres, NATS and tantivy."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged
from core.search.replica import MARKER
from core.search.tantivy_engine import TantivyEngine
from core.search.tantivy_schema import SCHEMA_VERSION
from core.search.tantivy_store import POINTER, REBUILD_OWED
from tests.integration import search_fixtures
from tests.integration.search_fixtures import make_site, site_hits, titles
from tests.integration.test_search_projection import page, postgres_view, store
from tests.polling import eventually
from workers.elected import ElectedRunner
from workers.projector import ReplicaProjector
from workers.search_writer import writer_preparation

pytestmark = pytest.mark.integration
own_database = search_fixtures.own_database


def age_index(root: Path) -> str:
    """Make the live generation look like one the previous schema version wrote (its name says the version)."""
    live = (root / POINTER).read_text(encoding="utf-8").strip()
    old = live.replace(f"gen-v{SCHEMA_VERSION}-", f"gen-v{SCHEMA_VERSION - 1}-", 1)
    os.rename(root / live, root / old)
    (root / POINTER).write_text(old + "\n", encoding="utf-8")
    return old


async def test_an_older_schemas_index_is_set_aside_and_rebuilt_by_the_writer(
    own_database: tuple[str, asyncpg.Pool], bus: Bus, tmp_path: Path
) -> None:
    dsn, pool = own_database
    site = await make_site(pool)
    await store(pool, [page(site, f"zc/{i}.html", f"养老服务补贴通知{i}号", "养老服务补贴。") for i in range(6)])
    first = TantivyEngine(tmp_path)
    await first.open()
    await first.close()
    root = tmp_path / "search" / "documents"
    old = age_index(root)
    (root / MARKER).write_text("{}", encoding="utf-8")  # a replica's note covers the index set aside

    reader = TantivyEngine(tmp_path)  # an API process after the upgrade
    await reader.open()  # before: Upstream "built with another schema: rebuild it with `yiwang reindex`"
    try:
        assert reader.rebuild_owed and (root / REBUILD_OWED).read_text().strip() == old
        assert not (root / MARKER).exists(), "a replica bootstraps instead of resuming over an empty index"
        assert (await site_hits(reader, site, "养老服务补贴")).total == 0  # answers, empty, not an error

        def make() -> ReplicaProjector:
            projector = ReplicaProjector(pool, TantivyEngine(tmp_path))
            projector.name, projector.subject = f"search-projector-{site}", f"{DocumentChanged.SUBJECT}.{site}"
            return projector

        runner = ElectedRunner(
            bus=bus,
            dsn=dsn,
            name=f"search-projector-{site}",
            make=make,
            batch=32,
            ack_wait_s=10,
            retry_s=0.2,
            prepare=writer_preparation(pool, bus, marker=None, retry_s=0.1),
        )
        task = asyncio.create_task(runner.run())
        try:
            expected = await postgres_view(pool, site)
            found = await eventually(
                lambda: site_hits(reader, site, "养老服务补贴"), lambda r: r.total == len(expected), timeout=30
            )
            assert titles(found) == expected
            assert not reader.rebuild_owed and not (root / REBUILD_OWED).exists()
        finally:
            runner.stop()
            await task
    finally:
        await reader.close()

"""The soak reads what the embedded NATS says of itself — its Go heap and what JetStream keeps — beside its RSS,
so that a growing RSS can be told apart from growing held data."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from core.bus import Bus, DocumentChanged
from core.settings import Settings
from ops.bench.load.mesh import nats_figures, nats_ports
from ops.embedded import EmbeddedServices

pytestmark = pytest.mark.integration


@pytest.fixture
def profiled() -> Iterator[EmbeddedServices]:
    with tempfile.TemporaryDirectory(prefix="yw-prof-") as short:
        embedded = EmbeddedServices(Path(short) / "data", nats_monitor="profile")
        yield embedded
        embedded.stop()


async def test_the_soak_reads_the_go_heap_and_the_stored_messages(profiled: EmbeddedServices) -> None:
    started = profiled.start()
    monitor, profile = nats_ports(profiled.root.parent)
    assert (monitor, profile) == (started["nats"].monitor, started["nats"].profile) and profile is not None

    settings = Settings(
        data_dir=profiled.root.parent, nats_url=started["nats"].url, database_url=started["postgres"].url
    )
    bus = await Bus(settings, name="soak-figures").connect()
    try:
        await bus.ensure_streams()
        async with aiohttp.ClientSession() as session:
            before = await nats_figures(session, monitor, profile)
            for n in range(20):
                await bus.publish(
                    DocumentChanged(
                        document_id=f"soak-{n}",
                        url=f"http://soak.test/{n}",
                        site_id="soak",
                        change="created",
                        version=1,
                        content_hash=str(n),
                    )
                )
            after = await nats_figures(session, monitor, profile)
    finally:
        await bus.close()
    assert before is not None and after is not None
    assert after.messages == before.messages + 20
    assert after.stored_mb > before.stored_mb
    assert 0 < after.heap_in_use_mb < 500  # megabytes, read off the runtime's own page


async def test_without_a_profiling_port_there_are_no_figures(tmp_path: Path) -> None:
    assert nats_ports(tmp_path) == (None, None)
    async with aiohttp.ClientSession() as session:
        assert await nats_figures(session, 1234, None) is None

"""`yiwang up`'s service watch (ops/watch.py) when its DATA_DIR's state is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.embedded import EmbeddedServices
from ops.watch import ServiceWatch


async def test_a_removed_data_dir_gets_no_new_empty_services(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An orphaned `up` whose temp DATA_DIR was removed started a new NATS on a new port every few seconds (25 of
    them after half an hour) and initialised an empty Postgres: the watch now starts nothing and says why, once."""
    services = EmbeddedServices(tmp_path / "gone")
    watch = ServiceWatch(services, ["nats"], interval_s=0.01)
    try:
        for _ in range(3):
            await watch.check()
        assert not services.state_file.exists() and watch.restarts == {"nats": 0}
        said = [r.getMessage() for r in caplog.records if "state is gone" in r.getMessage()]
        assert len(said) == 1, said
    finally:
        services.stop()

"""What `yiwang up` hands its processes: the resolved URLs and where the web process must listen."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from core.settings import Settings
from ops.runtime import Resolved


def test_child_processes_get_the_urls_and_the_port_up_was_given(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql://postgres:pw@127.0.0.1:5999/yiwang",
        nats_url="nats://tok@127.0.0.1:5998",
        data_dir=tmp_path,
    )
    env = Resolved(dataclasses.replace(settings, port=8765), started=[]).child_env()
    assert env["PORT"] == "8765", "`yiwang up --port 8765` must reach the web process, which up waits for"
    assert env["HOST"] == settings.host
    assert env["DATABASE_URL"] == settings.database_url and env["NATS_URL"] == settings.nats_url
    assert env["DATA_DIR"] == str(tmp_path.resolve())

"""`yiwang opendata key add`, run as the real command against the test database: the key printed once, only its
hash kept, with its rate (listing and revoking through core are tested in test_opendata_writes)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from core.opendata.keys import key_hash, list_keys
from core.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


async def yiwang(settings: Settings, data_dir: Path, *args: str) -> tuple[int, str, str]:
    env = os.environ | {
        "DATABASE_URL": settings.database_url or "",
        "NATS_URL": settings.nats_url or "",
        "DATA_DIR": str(data_dir),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops",
        "opendata",
        "key",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_key_commands(settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path) -> None:
    code, out, _ = await yiwang(settings, tmp_path, "add", "命令行开发者", "--rate", "30")
    key = out.splitlines()[0]
    assert code == 0 and key.startswith("ywk_") and "only its hash is stored" in out
    assert (
        await pg_pool.fetchval("select owner from opendata_api_keys where key_hash = $1", key_hash(key))
        == "命令行开发者"
    )
    listed = {k.owner: k for k in await list_keys(pool=pg_pool)}["命令行开发者"]
    assert listed.rate_per_min == 30 and listed.calls == 0 and key.startswith(listed.prefix)

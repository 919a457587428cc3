"""`yiwang opendata key add`, run as the real command against the test database: the key printed once, only its
hash kept, with its rate (listing and revoking through core are tested in test_opendata_writes)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from core.opendata.keys import key_hash, list_keys
from core.settings import Settings
from tests.integration.cli import yiwang as run_cli

pytestmark = pytest.mark.integration


async def yiwang(settings: Settings, data_dir: Path, *args: str) -> tuple[int, str, str]:
    return await run_cli(settings, data_dir, "opendata", "key", *args)


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

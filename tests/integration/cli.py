"""`yiwang ARGS` as a child process against the session's Postgres and NATS, as an operator types it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from core.settings import Settings
from tests.conftest import ROOT


async def yiwang(settings: Settings, data_dir: Path, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `python -m ops ARGS` with the session's service URLs and `data_dir`."""
    env = os.environ | {
        "DATABASE_URL": settings.database_url or "",
        "NATS_URL": settings.nats_url or "",
        "DATA_DIR": str(data_dir),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ops",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()

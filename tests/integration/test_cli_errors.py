"""The CLI answers bad setups with one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.integration


def yiwang(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", "PORT")}
    return subprocess.run([sys.executable, "-m", "ops", *args], env=base | (env or {}), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip


def test_unreachable_postgres_names_the_url_without_a_traceback(tmp_path: Path) -> None:
    port = free_port()
    out = yiwang("migrate", env={"DATABASE_URL": f"postgresql://yw:pw@127.0.0.1:{port}/yw", "CONNECT_RETRIES": "2",
                                 "CONNECT_RETRY_DELAY_S": "0.05", "NATS_URL": "nats://127.0.0.1:1",
                                 "DATA_DIR": str(tmp_path)})  # fmt: skip
    assert out.returncode == 2
    assert f"cannot reach Postgres at postgresql://yw:****@127.0.0.1:{port}/yw after 2 attempts" in out.stderr
    assert "Traceback" not in out.stderr and "pw@" not in out.stderr


def test_malformed_sites_file_is_reported_before_anything_starts(tmp_path: Path) -> None:
    bad = tmp_path / "sites.yaml"
    bad.write_text("sites:\n  - id: Portal\n    name: x\n    level: 市\n    start_urls: [http://a/]\n", "utf-8")
    out = yiwang("sites", "check", str(bad))
    assert out.returncode == 2 and "id must be lower-case letters" in out.stderr and "Traceback" not in out.stderr
    out = yiwang("up", "--sites", str(bad), env={"DATA_DIR": str(tmp_path / "d"), "PORT": str(free_port())})
    assert out.returncode == 2 and "sites[0] (Portal)" in out.stderr
    assert not (tmp_path / "d" / "services").exists(), "nothing was started for a bad file"
    good = tmp_path / "good.yaml"
    good.write_text("sites:\n  - {id: a, name: A, level: 市, start_urls: ['http://a/']}\n", "utf-8")
    out = yiwang("sites", "check", str(good))
    assert out.returncode == 0 and "1 sites, valid" in out.stdout


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        for cmd in (["web"], ["up"]):
            out = yiwang(*cmd, env={"PORT": str(port), "DATA_DIR": str(tmp_path)})
            assert out.returncode == 2, out.stderr
            assert f"port {port} on 127.0.0.1 is already in use" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "services").exists()


def test_unknown_command_arguments_show_usage() -> None:
    out = yiwang("services", "explode")
    assert out.returncode == 2 and "invalid choice: 'explode'" in out.stderr

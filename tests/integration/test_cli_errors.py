"""The CLI answers bad setups with one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from core.settings import Settings
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


def test_a_second_up_on_the_same_data_dir_is_refused_before_anything_starts(tmp_path: Path) -> None:
    from core.settings import Settings
    from ops.cli.up import hold_data_dir

    first = Settings(data_dir=tmp_path, port=free_port())
    with hold_data_dir(first):  # as a running `up` holds it
        out = yiwang("up", env={"DATA_DIR": str(tmp_path), "PORT": str(free_port())})
        assert out.returncode == 2, out.stderr
        says = f"yiwang up already runs on DATA_DIR {tmp_path.resolve()} (pid {os.getpid()}, GraphQL at http://"
        assert says in out.stderr and "Traceback" not in out.stderr
        assert not (tmp_path / "services").exists() and not (tmp_path / "demo").exists()
    with hold_data_dir(first):  # released when its holder ends: the next `up` may run
        pass


def test_commands_of_another_shell_find_the_port_of_the_running_up(tmp_path: Path) -> None:
    """`yiwang users token` issues for the API that `up --port N` serves on this DATA_DIR (no --issuer needed);
    a lock left by an `up` that ended names no port."""
    from core.settings import Settings
    from ops.cli.up import hold_data_dir, running_port

    assert running_port(tmp_path) is None  # no up ever ran here
    port = free_port()
    with hold_data_dir(Settings(data_dir=tmp_path, port=port)):
        assert running_port(tmp_path) == port
    assert running_port(tmp_path) is None, "the up ended: its port is not taken as running"


def test_unknown_command_arguments_show_usage() -> None:
    out = yiwang("services", "explode")
    assert out.returncode == 2 and "invalid choice: 'explode'" in out.stderr


def processes_naming(path: Path) -> list[str]:
    """Command lines of running processes that name `path` (the embedded Postgres and NATS name their dirs)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        command = " ".join(proc.info["cmdline"] or [])
        if str(path) in command:
            found.append(command)
    return found


MISSING_SERVICES = "(postgres and nats not running): run `yiwang up` or `yiwang services start`, or set DATABASE_URL"


def test_commands_start_no_services_and_say_what_is_missing(tmp_path: Path) -> None:
    """Only `up` and `services start` start the embedded services; any other command against a DATA_DIR with none
    running fails, naming the fix, and leaves nothing running."""
    data = tmp_path / "empty"
    data.mkdir()
    lines = tmp_path / "docs.jsonl"
    lines.write_text('{"url": "http://127.0.0.1:1/a.html", "title": "a", "text": "b"}\n', "utf-8")
    env = {"DATA_DIR": str(data), "PORT": str(free_port())}
    commands = [
        ["ask", "怎么办理社保卡"],
        ["ask", "怎么办理社保卡", "--json"],
        ["sites", "list"],
        ["import", str(lines)],
        ["crawl", "demo-portal"],
        ["reindex"],
        ["web"],
        ["scheduler"],
    ]
    for command in commands:
        out = yiwang(*command, env=env)
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        assert f"no services running in DATA_DIR {data.resolve()} {MISSING_SERVICES}" in out.stderr, command
        assert "Traceback" not in out.stderr and out.stdout == "", command
    out = yiwang("migrate", env=env)  # Postgres is all it needs
    assert out.returncode == 2 and f"DATA_DIR {data.resolve()} (postgres not running)" in out.stderr, out.stderr
    out = yiwang("search", "社保", "--json", env=env)
    assert out.returncode == 2 and out.stdout == "", out.stderr
    assert f"no search index in DATA_DIR {data.resolve()}" in out.stderr and "run `yiwang up`" in out.stderr
    assert list(data.iterdir()) == [], "nothing was made in DATA_DIR: no services, no index"
    assert processes_naming(data) == []


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`yiwang … | head`: the pipe closes before everything is written; that is no error to report."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", "PORT")}
    argv, env = [sys.executable, "-m", "ops", "config"], base | {"DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_commands_of_postgres_alone_do_not_ask_for_nats(settings: Settings, tmp_path: Path) -> None:
    """A restored database on a host with no NATS yet (docs/operations.md, "Backup and restore")."""
    env = {"DATABASE_URL": str(settings.database_url), "DATA_DIR": str(tmp_path)}
    for args in (["migrate"], ["users", "list"], ["roles", "list"], ["clients", "list"]):
        out = yiwang(*args, env=env)
        assert out.returncode == 0 and "nats not running" not in out.stderr, (args, out.stderr)
    out = yiwang("reindex", "--quiet", env=env)  # one that does use NATS still says so
    assert out.returncode == 2 and "nats not running" in out.stderr


def test_import_of_qa_refuses_a_site_it_would_ignore(tmp_path: Path) -> None:
    faq = tmp_path / "faq.jsonl"
    faq.write_text('{"id": "a", "question": "q", "answer": "a"}\n', "utf-8")
    out = yiwang("import", "--kind", "qa", "--site", "demo-portal", str(faq), env={"DATA_DIR": str(tmp_path / "d")})
    assert out.returncode == 2 and "--site is for --kind document" in out.stderr, out.stderr

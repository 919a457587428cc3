"""Secrets of the embedded services: private files, pg_hba that trusts nobody, and traverse-only ACL entries."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from core.errors import Upstream
from ops import embedded_auth as auth

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: it runs commands as other OS users")


def test_a_secret_is_made_once_in_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    first = auth.secret(tmp_path, "postgres")
    path = tmp_path / "postgres-password"
    assert len(first) >= auth.MIN_SECRET and path.stat().st_mode & 0o777 == 0o600
    assert auth.secret(tmp_path, "postgres") == first, "kept across starts"
    path.chmod(0o644)
    assert auth.secret(tmp_path, "postgres") == first and path.stat().st_mode & 0o777 == 0o600
    path.write_text("short\n")
    assert auth.secret(tmp_path, "postgres") != "short", "a secret too short to be random is replaced"


def test_pg_hba_written_by_yiwang_trusts_nobody_and_one_from_initdb_trust_is_detected(tmp_path: Path) -> None:
    (tmp_path / "pg_hba.conf").write_text(
        "# trust is explained here\nlocal all all trust\nhost all all ::1/128 trust\n"
    )
    assert auth.trusts_anyone(tmp_path)
    auth.write_hba(tmp_path, local="scram-sha-256", secret_file=tmp_path / "postgres-password")
    assert not auth.trusts_anyone(tmp_path)
    assert "127.0.0.1/32 scram-sha-256" in (tmp_path / "pg_hba.conf").read_text()


def can(user: str, *cmd: str) -> bool:
    return subprocess.run(list(cmd), user=user, capture_output=True, check=False).returncode == 0


@as_root
def test_one_user_gets_through_private_parents_and_nobody_else(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    leaf = outer / "middle" / "leaf"
    leaf.mkdir(parents=True)
    for d in (tmp_path, outer, outer / "middle"):
        d.chmod(0o700)
    nobody, daemon = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("daemon").pw_uid
    assert not can("nobody", "ls", str(leaf))

    changed = auth.grant_traverse(leaf, nobody)
    assert outer in changed and outer / "middle" in changed and Path("/") not in changed, "only where needed"
    assert can("nobody", "ls", str(leaf)), "the granted user passes through"
    assert not can("nobody", "ls", str(outer)), "it may pass, not list"
    assert not can("daemon", "ls", str(leaf)), "no other user gains anything"
    assert all(d.stat().st_mode & 0o007 == 0 for d in (tmp_path, outer, outer / "middle")), "no o+x"

    auth.grant_traverse(leaf, daemon)  # a second entry keeps the first (the ACL is merged, not replaced)
    assert can("daemon", "ls", str(leaf)) and can("nobody", "ls", str(leaf))


def test_a_data_dir_too_long_for_a_socket_gets_a_private_short_socket_directory(tmp_path: Path) -> None:
    short_data = tmp_path / "pg"
    assert auth.socket_dir(short_data, os.geteuid()) == short_data, "a short data dir keeps its socket"
    long_data = tmp_path / ("d" * 60) / ("e" * 60) / "postgres"
    chosen = auth.socket_dir(long_data, os.geteuid())
    try:
        assert chosen != long_data and len(os.fsencode(chosen)) + len("/.s.PGSQL.65535") <= 107
        assert chosen.stat().st_mode & 0o777 == 0o700 and chosen.stat().st_uid == os.geteuid()
        assert auth.socket_dir(long_data, os.geteuid()) == chosen, "the same data dir finds the same directory"
        chosen.chmod(0o755)  # someone opened it (or made it first, open): refused, not used
        with pytest.raises(Upstream, match="open to others"):
            auth.socket_dir(long_data, os.geteuid())
    finally:
        chosen.rmdir()

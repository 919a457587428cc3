"""Pooled connections keep no session state: the pool's reset sends no reset query (core.db.keep_session)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "api", "workers", "schema", "scrapers", "ops")
# SQL that outlives its transaction on a connection: session settings, session advisory locks, LISTEN, cursors
# WITH HOLD. `set local`, `set_config(…, true)`, `pg_advisory_xact_lock` and cursors inside a transaction end with it.
SESSION_STATE = re.compile(
    r"""(?ix)
    (?:["';]\s*)set\s+(?:session\s+)?(?!local\b)[a-z_.]+\s*(?:=|\bto\b)
    | \bset_config\s*\((?![^)]*,\s*true\s*\))
    | \bpg_advisory_lock(?:_shared)?\s*\(
    | (?:["';]\s*)listen\s+\w
    | \bwith\s+hold\b
    """
)
# Where it is allowed: the migration lock (released by `migrate` itself) and the embedded server's setup script
# (psql on its own connection, not a pool).
ALLOWED = {"core/db.py": 1, "ops/embedded.py": 1}


def test_no_session_state_on_pooled_connections() -> None:
    found: dict[str, int] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            hits = len(SESSION_STATE.findall(path.read_text(encoding="utf-8")))
            if hits:
                found[path.relative_to(ROOT).as_posix()] = hits
    extra = {path: n for path, n in found.items() if n > ALLOWED.get(path, 0)}
    assert not extra, f"session state on pooled connections (the pool does not reset it: core/db.py): {extra}"


def test_the_pattern_sees_session_state() -> None:
    for sql in ('"set statement_timeout = 0"', "'SET search_path TO x'", '"listen jobs"', "pg_advisory_lock(1)"):
        assert SESSION_STATE.search(sql), sql
    for sql in ("set_config('synchronous_commit', 'off', false)", "set_config('x', $1, $2)"):
        assert SESSION_STATE.search(sql), sql
    for sql in (
        '"set local statement_timeout = 0"',
        '"update t set a = 1"',
        "pg_advisory_xact_lock(1)",
        "set_config('synchronous_commit', 'off', true)",
    ):
        assert not SESSION_STATE.search(sql), sql

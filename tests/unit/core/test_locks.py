"""Per-key advisory locks are two-key locks in namespaces of their own (core.locks), never `hashtext` alone."""

from __future__ import annotations

import re
from pathlib import Path

from core.election import LEASE_CLASS
from core.locks import Lock

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("core", "api", "workers", "schema", "scrapers", "ops")
# A one-key advisory lock of a hash: in the key space of the constant locks (core/db.py MIGRATION_LOCK, ...), and
# of every other kind hashed the same way.
HASHED_ONE_KEY = re.compile(r"pg_(?:try_)?advisory_(?:xact_)?lock(?:_shared)?\s*\(\s*hashtext", re.IGNORECASE)


def test_each_kind_has_a_namespace_of_its_own() -> None:
    values = [int(kind) for kind in Lock]
    assert len(set(values)) == len(values)
    assert all(0 < v < 2**31 for v in values)  # an int4 (and an oid in pg_locks.classid), never negative
    # the leases' namespace is one of them, and stays the classid docs/operations.md's pg_locks query reads
    assert Lock.LEASE == LEASE_CLASS == 22871


def test_no_lock_is_keyed_by_a_hash_alone() -> None:
    found = [
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if HASHED_ONE_KEY.search(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "lock per key with core.locks.Lock.<KIND>.hold(conn, key)"


def test_the_pattern_sees_a_hash_alone() -> None:
    assert HASHED_ONE_KEY.search("select pg_advisory_xact_lock(hashtext('inspect:' || $1))")
    assert HASHED_ONE_KEY.search("select pg_try_advisory_lock( hashtext($1))")
    assert not HASHED_ONE_KEY.search("select pg_advisory_xact_lock($1, hashtext($2))")

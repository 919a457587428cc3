"""Advisory locks taken per key (a site, a user, a query), each kind in a namespace of its own, all named here."""

from __future__ import annotations

from enum import IntEnum, unique

import asyncpg

HOLD = "select pg_advisory_xact_lock($1, hashtext($2))"


@unique
class Lock(IntEnum):
    """A kind of lock, its value the first key of the two-key advisory lock `(kind, hashtext(key))`.

    Postgres keeps two-key locks apart from single-bigint ones (pg_locks.objsubid 2 against 1), so a key's hash can
    never take the lock of a constant (core/db.py's MIGRATION_LOCK, the scheduler's LEADER_LOCK, ...), as the former
    one-key locks of `hashtext(...)` could; and two kinds whose keys' hashes collide never wait on each other.
    Values are "YW" and a number, positive int4s; LEASE is core/election.py's (a session lock per lease)."""

    LEASE = 0x5957
    CRAWL = 0x5957_0001  # one queued or running crawl per site
    # Every multi-row write of a site's frontier (crawl_urls), first in its transaction: a crawl records its outcomes
    # row by row in fetch order while a full recheck marks every row due in table order, and two such writers
    # locking the same rows in different orders deadlocked (a full crawl asked during a crawl failed both).
    FRONTIER = 0x5957_0002
    INSPECT = 0x5957_0003  # one inspection of a site reconciling its findings at a time
    JOB_REQUEST = 0x5957_0004  # one in-flight job per actor and key
    SEARCH_PIN = 0x5957_0005  # the pins of one query, counted against their limit
    LETTER = 0x5957_0006  # one writer's letters
    CONSULTATION = 0x5957_0007  # a consultation by site and title
    CONSULTATION_COMMENT = 0x5957_0008  # one person's comments
    TV_EPISODE = 0x5957_0009  # an episode by site, programme, air date and title
    DATA_REQUEST = 0x5957_000A  # one requester's open-data requests
    DATASTORE = 0x5957_000B  # one resource's datastore table
    DISCLOSURE_REQUEST = 0x5957_000C  # one resident's disclosure requests
    DISCLOSURE_ITEM = 0x5957_000D  # an item by unit and title
    IDENTITY_KEYS = 0x5957_000E  # signing-key creation (one lock)
    BROKER_SCHEMA = 0x5957_000F  # the dramatiq-postgres tables' creation (one lock)
    POLICY_REPRINTS = 0x5957_0010  # re-clustering of reprinted policies (one lock)

    async def hold(self, conn: asyncpg.Connection, key: str = "") -> None:
        """Wait for, then hold until the caller's transaction ends, this kind's lock of `key` (a kind with one lock
        leaves `key` empty)."""
        await conn.execute(HOLD, int(self), key)

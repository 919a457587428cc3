"""Reprint pointers on documents (`canonical_id`), set by whoever finds the clusters, read by the search projection."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

_SET = """
with wanted as (
    select d.id, d.canonical_id as old, w.new
    from documents d join unnest($1::uuid[], $2::uuid[]) as w (id, new) on w.id = d.id
    where d.canonical_id is distinct from w.new
    for update of d
), changed as (
    update documents d set canonical_id = w.new from wanted w where d.id = w.id returning w.id, w.old, w.new
)
select id::text, old::text, new::text from changed
"""


async def set_canonical_ids(
    conn: asyncpg.Connection, wanted: Mapping[str, str | None]
) -> list[tuple[str, str | None, str | None]]:
    """Point each document at its canonical (None: it is one), in the caller's transaction.

    Returns (document, old canonical, new canonical) for the rows that changed.
    """
    if not wanted:
        return []
    ids = sorted(wanted)
    rows = await conn.fetch(_SET, ids, [wanted[i] for i in ids])
    return [(r["id"], r["old"], r["new"]) for r in rows]

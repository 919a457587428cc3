"""Columns (栏目) of a site: created as pages name them, typed by monitoring, overridden by an admin."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from core.errors import NotFound

MAX_NAME_CHARS = 200


async def ensure_column(conn: asyncpg.Connection, site_id: str, name: str | None) -> int | None:
    """The id of the site's column of this name, created on first sight (None for no name)."""
    if not name:
        return None
    return await conn.fetchval(
        """insert into site_columns (site_id, name) values ($1, $2)
           on conflict (site_id, name) do update set last_seen = now() returning id""",
        site_id,
        name[:MAX_NAME_CHARS],
    )


async def classify_columns(pool: asyncpg.Pool, site_id: str, type_of: Callable[[str], str]) -> None:
    """Fill column_type from the names where it is unset (the admin override stays separate). A column a writer
    holds locked (a crawl's batch naming it) is skipped and typed at the next inspection; readers fall back to its
    name meanwhile. Waiting for it could deadlock: a batch locks its columns in the order its pages name them."""
    rows = await pool.fetch("select id, name from site_columns where site_id = $1 and column_type is null", site_id)
    if rows:
        await pool.execute(
            """with typed as (select * from unnest($1::bigint[], $2::text[]) as t(id, column_type)),
                    free as (select c.id from site_columns c join typed using (id)
                             where c.column_type is null for update of c skip locked)
               update site_columns c set column_type = typed.column_type from typed join free using (id)
               where c.id = typed.id""",
            [r["id"] for r in rows],
            [type_of(r["name"]) for r in rows],
        )


async def set_type_override(pool: asyncpg.Pool, *, site_id: str, column: str, column_type: str | None) -> str | None:
    """An admin's column type (None clears it); returns the type stored now in effect, if any."""
    row = await pool.fetchrow(
        """update site_columns set type_override = $3 where site_id = $1 and name = $2
           returning coalesce(type_override, column_type) as effective""",
        site_id,
        column,
        column_type,
    )
    if row is None:
        raise NotFound(f"site {site_id!r} has no column {column!r}")
    return row["effective"]

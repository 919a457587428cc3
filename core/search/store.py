"""Postgres rows of search: pins, admin synonyms, query counts for suggestions and their blocks, click budgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from core.locks import Lock
from core.search.analysis import normalize_keyword

MAX_PINS_PER_QUERY = 10

ADD_CLIENTS = """
with new as (
    insert into search_query_clients (day, query, client)
    select * from unnest($1::date[], $2::text[], $3::text[])
    on conflict do nothing
    returning day, query
), added as (
    insert into search_query_days as d (query, day, clients)
    select query, day, count(*) from new group by query, day
    on conflict (query, day) do update set clients = d.clients + excluded.clients
    returning 1
)
select count(*) from new"""

POPULAR = """
select d.query, sum(d.clients) as clients from search_query_days d
where d.day >= $1 and not exists (select 1 from search_suggestion_blocks b where b.query = d.query)
group by d.query having sum(d.clients) >= $2
order by clients desc, d.query limit $3"""

CANDIDATES = """
select d.query, sum(d.clients) as clients, max(d.day) as last_day,
       exists (select 1 from search_suggestion_blocks b where b.query = d.query) as blocked,
       count(*) over () as total
from search_query_days d
where d.day >= $1 and d.query like $2
group by d.query order by clients desc, d.query offset $3 limit $4"""

COUNT_CANDIDATES = "select count(distinct query) from search_query_days where day >= $1 and query like $2"

TAKE_CLICK = """
insert into search_click_budget as c (search_id, clicks, expires_at) values ($1, 1, $3)
on conflict (search_id) do update set clicks = c.clicks + 1 where c.clicks < $2
returning clicks"""


@dataclass(frozen=True)
class Pin:
    """A document pinned to the top of one query's results, until a time or until removed."""

    query: str
    document_id: str
    until: datetime | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Candidate:
    """A counted query: client-days in the window, the last day counted, whether the web office blocked it."""

    query: str
    clients: int
    last_day: date
    blocked: bool


@dataclass(frozen=True)
class SynonymRow:
    """An admin edit of the synonym table: a rewrite added (by `created_by`), or (removed) a bundled one hidden."""

    colloquial: str
    official: str
    removed: bool
    created_by: str = ""


class SearchStore:
    """Reads and writes the search tables (migrations 0004_search.sql and 0013_search_suggestions.sql)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    async def pinned_ids(self, query: str) -> list[str]:
        """Document ids pinned to the query now, oldest pin first."""
        rows = await self._pool.fetch(
            """select document_id from search_pins where query_norm = $1 and (until is null or until > now())
               order by created_at, document_id limit $2""",
            normalize_keyword(query),
            MAX_PINS_PER_QUERY,
        )
        return [r["document_id"] for r in rows]

    async def pin(self, query: str, document_id: str, until: datetime | None, created_by: str = "") -> Pin | None:
        """Pin (or re-date a live pin); None when the query has MAX_PINS_PER_QUERY live pins of other documents.
        The count and the insert run under a lock of the query, so concurrent pins cannot pass the limit."""
        q = normalize_keyword(query)
        async with self._pool.acquire() as conn, conn.transaction():
            await Lock.SEARCH_PIN.hold(conn, q)
            others = await conn.fetchval(
                """select count(*) from search_pins where query_norm = $1 and document_id <> $2
                   and (until is null or until > now())""",
                q,
                document_id,
            )
            if others >= MAX_PINS_PER_QUERY:
                return None
            row = await conn.fetchrow(
                # an expired pin pinned again is a new pin: its pinner and time are the new ones
                """insert into search_pins (query_norm, document_id, until, created_by) values ($1, $2, $3, $4)
                   on conflict (query_norm, document_id) do update set until = excluded.until,
                       created_by = case when search_pins.until <= now() then excluded.created_by
                                         else search_pins.created_by end,
                       created_at = case when search_pins.until <= now() then now()
                                         else search_pins.created_at end
                   returning query_norm, document_id, until, created_by, created_at""",
                q,
                document_id,
                until,
                created_by,
            )
        assert row is not None
        return Pin(row["query_norm"], row["document_id"], row["until"], row["created_by"], row["created_at"])

    async def unpin(self, query: str, document_id: str) -> bool:
        """Remove a pin; False when there was none in force (an expired pin's row goes too, and answers False)."""
        live = await self._pool.fetchval(
            """delete from search_pins where query_norm = $1 and document_id = $2
               returning until is null or until > now()""",
            normalize_keyword(query),
            document_id,
        )
        return bool(live)

    async def synonym_rows(self) -> list[SynonymRow]:
        rows = await self._pool.fetch(
            "select colloquial, official, removed, created_by from search_synonyms order by 1, 2"
        )
        return [SynonymRow(r["colloquial"], r["official"], r["removed"], r["created_by"]) for r in rows]

    async def set_synonym(self, colloquial: str, official: str, *, removed: bool, created_by: str = "") -> None:
        await self._pool.execute(
            # added again, the rewrite is the new author's; a removal keeps the name (the audit trail has who)
            """insert into search_synonyms (colloquial, official, removed, created_by) values ($1, $2, $3, $4)
               on conflict (colloquial, official) do update set removed = excluded.removed, updated_at = now(),
                   created_by = case when excluded.removed then search_synonyms.created_by
                                     else excluded.created_by end""",
            colloquial,
            official,
            removed,
            created_by,
        )

    async def add_query_clients(self, rows: Sequence[tuple[date, str, str]]) -> int:
        """Record (day, query, client hash) rows; each new one adds a client to its query's day. Returns how many
        were new (a client already counted for the query that day adds nothing)."""
        if not rows:
            return 0
        days, queries, clients = zip(*rows, strict=True)
        return int(await self._pool.fetchval(ADD_CLIENTS, list(days), list(queries), list(clients)) or 0)

    async def popular_queries(self, *, since: date, min_clients: int, limit: int) -> list[tuple[str, int]]:
        """Queries of at least `min_clients` client-days since `since`, not blocked, most clients first."""
        rows = await self._pool.fetch(POPULAR, since, min_clients, limit)
        return [(r["query"], int(r["clients"])) for r in rows]

    async def candidates(self, *, since: date, contains: str, offset: int, limit: int) -> tuple[list[Candidate], int]:
        """Every counted query of the window (surfaced or not), most clients first, and how many there are."""
        rows = await self._pool.fetch(CANDIDATES, since, f"%{_like(contains)}%", offset, limit)
        total = int(rows[0]["total"]) if rows else 0
        if not rows and offset:
            total = int(await self._pool.fetchval(COUNT_CANDIDATES, since, f"%{_like(contains)}%"))
        return [Candidate(r["query"], int(r["clients"]), r["last_day"], r["blocked"]) for r in rows], total

    async def blocked(self) -> set[str]:
        return {r["query"] for r in await self._pool.fetch("select query from search_suggestion_blocks")}

    async def block(self, query: str, by: str = "") -> bool:
        """Block a suggestion; False when it was blocked already."""
        status = await self._pool.execute(
            "insert into search_suggestion_blocks (query, blocked_by) values ($1, $2) on conflict do nothing",
            query,
            by,
        )
        return status.endswith(" 1")

    async def unblock(self, query: str) -> bool:
        status = await self._pool.execute("delete from search_suggestion_blocks where query = $1", query)
        return status.endswith(" 1")

    async def take_click(self, search_id: str, *, cap: int, expires_at: datetime) -> bool:
        """Count one click of a search; False (nothing counted) once it has `cap` clicks."""
        row = await self._pool.fetchval(TAKE_CLICK, search_id, cap, expires_at)
        return row is not None

    async def prune(self, *, today: date, window_days: int) -> None:
        """Forget client hashes before yesterday, days past the window and expired click budgets."""
        async with self._pool.acquire() as conn:
            await conn.execute("delete from search_query_clients where day < $1", today - timedelta(days=1))
            await conn.execute("delete from search_query_days where day < $1", today - timedelta(days=window_days))
            await conn.execute("delete from search_click_budget where expires_at < now()")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

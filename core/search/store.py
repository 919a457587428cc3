"""Postgres rows of search administration: pins, admin synonyms and query counts for suggestions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.search.analysis import normalize_keyword

MAX_PINS_PER_QUERY = 10


@dataclass(frozen=True)
class Pin:
    """A document pinned to the top of one query's results, until a time or until removed."""

    query: str
    document_id: str
    until: datetime | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class SynonymRow:
    """An admin edit of the synonym table: a rewrite added, or (removed) a bundled one hidden."""

    colloquial: str
    official: str
    removed: bool


class SearchStore:
    """Reads and writes the search tables (migration 0004_search.sql)."""

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

    async def pin(self, query: str, document_id: str, until: datetime | None, created_by: str = "") -> Pin:
        row = await self._pool.fetchrow(
            """insert into search_pins (query_norm, document_id, until, created_by) values ($1, $2, $3, $4)
               on conflict (query_norm, document_id) do update set until = excluded.until
               returning query_norm, document_id, until, created_by, created_at""",
            normalize_keyword(query),
            document_id,
            until,
            created_by,
        )
        assert row is not None
        return Pin(row["query_norm"], row["document_id"], row["until"], row["created_by"], row["created_at"])

    async def count_pins(self, query: str) -> int:
        return int(
            await self._pool.fetchval(
                "select count(*) from search_pins where query_norm = $1", normalize_keyword(query)
            )
        )

    async def unpin(self, query: str, document_id: str) -> bool:
        status = await self._pool.execute(
            "delete from search_pins where query_norm = $1 and document_id = $2", normalize_keyword(query), document_id
        )
        return status.endswith(" 1")

    async def synonym_rows(self) -> list[SynonymRow]:
        rows = await self._pool.fetch("select colloquial, official, removed from search_synonyms order by 1, 2")
        return [SynonymRow(r["colloquial"], r["official"], r["removed"]) for r in rows]

    async def set_synonym(self, colloquial: str, official: str, *, removed: bool, created_by: str = "") -> None:
        await self._pool.execute(
            """insert into search_synonyms (colloquial, official, removed, created_by) values ($1, $2, $3, $4)
               on conflict (colloquial, official) do update set removed = excluded.removed, updated_at = now()""",
            colloquial,
            official,
            removed,
            created_by,
        )

    async def add_query_counts(self, counts: Counter[str]) -> None:
        if counts:
            await self._pool.executemany(
                """insert into search_query_counts (query, count) values ($1, $2)
                   on conflict (query) do update set count = search_query_counts.count + excluded.count,
                   last_at = now()""",
                list(counts.items()),
            )

    async def popular_queries(self, limit: int) -> list[tuple[str, int]]:
        sql = "select query, count from search_query_counts order by count desc limit $1"
        rows = await self._pool.fetch(sql, limit)
        return [(r["query"], int(r["count"])) for r in rows]

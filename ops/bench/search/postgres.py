"""The peer: Postgres full-text search over the same jieba terms (tsvector + GIN) and pg_trgm (GIN), ranked."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import asyncpg

from core.search.analysis import index_terms, query_terms
from core.search.models import IndexDoc

FTS = """select id from bench_docs, to_tsquery('simple', $1) q where tsv @@ q
         order by ts_rank(tsv, q) desc limit 10"""


def _rows(docs: Sequence[IndexDoc]) -> list[tuple[str, str, str, str]]:
    # the terms the tantivy engine indexes for title and text, so both sides search the same words
    return [(d.id, d.title, d.text, " ".join(index_terms(d.title) + index_terms(d.text))) for d in docs]


async def load(
    pool: asyncpg.Pool, docs: Iterable[IndexDoc], *, workers: int = 2, chunk: int = 20_000, trgm: bool = True
) -> dict[str, float]:
    """Fill bench_docs chunk by chunk (a million documents never sit in memory at once), then build the
    indexes; seconds per step (analysis and COPY interleave, each summed)."""
    await pool.execute("""drop table if exists bench_docs;
        create extension if not exists pg_trgm;
        create table bench_docs (id text primary key, title text not null, body text not null, terms text not null,
                                 tsv tsvector generated always as (to_tsvector('simple', terms)) stored)""")
    analyse_s = copy_s = 0.0
    it = iter(docs)
    with ProcessPoolExecutor(workers) as pool_:
        while part := list(itertools.islice(it, chunk)):
            started = time.perf_counter()
            rows = [
                row
                for rows_ in pool_.map(_rows, [part[i : i + 500] for i in range(0, len(part), 500)])
                for row in rows_
            ]
            analysed = time.perf_counter()
            await pool.copy_records_to_table("bench_docs", records=rows, columns=["id", "title", "body", "terms"])
            analyse_s, copy_s = analyse_s + analysed - started, copy_s + time.perf_counter() - analysed
    loaded = time.perf_counter()
    await pool.execute("create index bench_docs_tsv on bench_docs using gin (tsv)")
    fts = time.perf_counter()
    if trgm:
        await pool.execute("create index bench_docs_trgm on bench_docs using gin (body gin_trgm_ops)")
    built = time.perf_counter()
    await pool.execute("vacuum analyze bench_docs")
    return {
        "analyse_s": analyse_s,
        "copy_with_tsvector_s": copy_s,
        "gin_fts_s": fts - loaded,
        "gin_trgm_s": built - fts if trgm else 0.0,
    }


def tsquery(query: str) -> str:
    return " & ".join("'" + t.replace("'", "''") + "'" for t in query_terms(query))


async def fts(pool: asyncpg.Pool, query: str) -> list[str]:
    return [r["id"] for r in await pool.fetch(FTS, tsquery(query))]


async def trgm(pool: asyncpg.Pool, query: str) -> list[str]:
    chunks = query.split()
    where = " and ".join(f"body like '%' || ${i} || '%'" for i in range(1, len(chunks) + 1))
    sql = f"select id from bench_docs where {where} order by similarity(title, ${len(chunks) + 1}) desc limit 10"
    return [r["id"] for r in await pool.fetch(sql, *chunks, query)]

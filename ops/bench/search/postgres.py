"""The peer: Postgres full-text search over the same jieba terms (tsvector + GIN) and pg_trgm (GIN), ranked."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import asyncpg

from core.search.analysis import index_terms, query_terms
from core.search.models import IndexDoc

FTS = """select id from bench_docs, to_tsquery('simple', $1) q where tsv @@ q
         order by ts_rank(tsv, q) desc limit 10"""


def _rows(docs: Sequence[IndexDoc]) -> list[tuple[str, str, str, str]]:
    # the terms the tantivy engine indexes for title and text, so both sides search the same words
    return [(d.id, d.title, d.text, " ".join(index_terms(d.title) + index_terms(d.text))) for d in docs]


async def load(pool: asyncpg.Pool, docs: Sequence[IndexDoc], *, workers: int = 2) -> dict[str, float]:
    """Fill bench_docs and build both indexes; seconds per step."""
    await pool.execute("""drop table if exists bench_docs;
        create extension if not exists pg_trgm;
        create table bench_docs (id text primary key, title text not null, body text not null, terms text not null)""")
    started = time.perf_counter()
    chunks = [docs[i : i + 500] for i in range(0, len(docs), 500)]
    with ProcessPoolExecutor(workers) as pool_:
        rows = [row for part in pool_.map(_rows, chunks) for row in part]
    analysed = time.perf_counter()
    await pool.copy_records_to_table("bench_docs", records=rows, columns=["id", "title", "body", "terms"])
    await pool.execute("alter table bench_docs add column tsv tsvector generated always as "
                       "(to_tsvector('simple', terms)) stored")  # fmt: skip
    loaded = time.perf_counter()
    await pool.execute("create index bench_docs_tsv on bench_docs using gin (tsv)")
    fts = time.perf_counter()
    await pool.execute("create index bench_docs_trgm on bench_docs using gin (body gin_trgm_ops)")
    trgm = time.perf_counter()
    await pool.execute("vacuum analyze bench_docs")
    return {"analyse_s": analysed - started, "copy_s": loaded - analysed, "gin_fts_s": fts - loaded,
            "gin_trgm_s": trgm - fts}  # fmt: skip


def tsquery(query: str) -> str:
    return " & ".join("'" + t.replace("'", "''") + "'" for t in query_terms(query))


async def fts(pool: asyncpg.Pool, query: str) -> list[str]:
    return [r["id"] for r in await pool.fetch(FTS, tsquery(query))]


async def trgm(pool: asyncpg.Pool, query: str) -> list[str]:
    chunks = query.split()
    where = " and ".join(f"body like '%' || ${i} || '%'" for i in range(1, len(chunks) + 1))
    sql = f"select id from bench_docs where {where} order by similarity(title, ${len(chunks) + 1}) desc limit 10"
    return [r["id"] for r in await pool.fetch(sql, *chunks, query)]

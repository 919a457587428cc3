"""Typing a site's columns while a crawl's batch holds some of them locked: no wait, no deadlock (found on a
fresh `yiwang up`, where the monitor's first inspection met the first crawl: `deadlock detected`)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from core.monitoring.columns import column_type_of
from core.sites import classify_columns, ensure_column
from tests.integration.crawling import add_site, site_record

pytestmark = pytest.mark.integration


async def test_a_column_a_writer_holds_is_skipped_and_typed_at_the_next_inspection(pg_pool: asyncpg.Pool) -> None:
    await add_site(pg_pool, site_record("cols-lock", "http://127.0.0.1:9"))
    async with pg_pool.acquire() as conn:
        first = await ensure_column(conn, "cols-lock", "通知公告")
        second = await ensure_column(conn, "cols-lock", "政策解读")
    writer = await pg_pool.acquire()
    try:
        tx = writer.transaction()
        await tx.start()
        await ensure_column(writer, "cols-lock", "政策解读")  # a batch naming the second column first …
        # … while the monitor types both: it must neither wait for the batch nor make it wait on a lock it holds
        await asyncio.wait_for(classify_columns(pg_pool, "cols-lock", column_type_of), timeout=5)
        await asyncio.wait_for(ensure_column(writer, "cols-lock", "通知公告"), timeout=5)  # … then the first
        await tx.commit()
    finally:
        await pg_pool.release(writer)
    types = dict(await pg_pool.fetch("select id, column_type from site_columns where site_id = 'cols-lock'"))
    assert types == {first: column_type_of("通知公告"), second: None}
    await classify_columns(pg_pool, "cols-lock", column_type_of)
    types = dict(await pg_pool.fetch("select id, column_type from site_columns where site_id = 'cols-lock'"))
    assert types == {first: column_type_of("通知公告"), second: column_type_of("政策解读")}

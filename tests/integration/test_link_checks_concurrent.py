"""Link checks of several sites stored at once: sites share off-site links (the national portal, the ICP
registry), and each site's check job writes its batch in one transaction, so two batches naming the same URLs
must take their row locks in one order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from core.monitoring import LinkCheck, record_link_checks

pytestmark = pytest.mark.integration


async def test_batches_sharing_urls_in_opposite_orders_are_all_stored(pg_pool: asyncpg.Pool) -> None:
    when = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    urls = [f"https://shared-{n:03d}.example.gov.cn/" for n in range(400)]
    first = [LinkCheck(url=u, ok=True, status=200, error=None, elapsed_ms=5, checked_at=when) for u in urls]
    second = [LinkCheck(url=u, ok=False, status=404, error=None, elapsed_ms=7, checked_at=when) for u in urls[::-1]]
    for _ in range(3):
        await asyncio.gather(*(record_link_checks(pg_pool, batch) for batch in (first, second, first[::-1], second)))
    stored = await pg_pool.fetchval("select count(*) from link_checks where url like 'https://shared-%'")
    assert stored == len(urls)


async def test_a_url_checked_twice_in_one_batch_keeps_the_later_check(pg_pool: asyncpg.Pool) -> None:
    url = "https://twice.example.gov.cn/"
    early = LinkCheck(
        url=url, ok=False, status=503, error=None, elapsed_ms=9, checked_at=datetime(2026, 12, 5, 1, tzinfo=UTC)
    )
    later = LinkCheck(
        url=url, ok=True, status=200, error=None, elapsed_ms=4, checked_at=datetime(2026, 12, 5, 3, tzinfo=UTC)
    )
    await record_link_checks(pg_pool, [later, early])
    row = await pg_pool.fetchrow("select ok, status from link_checks where url = $1", url)
    assert (row["ok"], row["status"]) == (True, 200)

"""A site's findings and the total beside them are read as of one moment while inspections keep opening and closing
them (real Postgres)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.bus import PageFetched
from core.documents import apply_pages
from core.monitoring import list_findings, site_inventory
from core.monitoring.models import Draft, RuleResult
from core.monitoring.store import reconcile
from tests.integration.search_fixtures import make_site

pytestmark = pytest.mark.integration
NOW = datetime(2024, 6, 10, 2, 0, tzinfo=UTC)
READS = 1000  # at most, per reader: enough to meet the writer between two statements many times


def broken_links(keys: list[str]) -> RuleResult:
    """One inspection's verdict of the broken-link rule: these links are broken, every other open one is fixed."""
    drafts = [Draft(key=k, summary=f"链接失效：{k}", url=k) for k in keys]
    return RuleResult(
        rule="broken_links", title="链接失效", findings=drafts, vetoed=False, deduction=0.0, measured="", thresholds={}
    )


async def test_a_page_of_findings_agrees_with_its_total(pg_pool: asyncpg.Pool) -> None:
    """`site { findings { total items } }`, open ones and all: each inspection commits the findings it opens and
    closes at once, and the page and the total beside it show the same inspection's outcome."""
    site = await make_site(pg_pool, level="市")
    torn: list[tuple[str | None, int, int]] = []
    done = False

    async def inspect() -> None:
        nonlocal done
        for n in range(40):  # each inspection finds two new broken links, and the oldest one open was fixed
            keys = [f"https://{site}.example/p{i}.html" for i in range(n // 2, n + 2)]
            async with pg_pool.acquire() as conn, conn.transaction():
                await reconcile(conn, site, broken_links(keys), NOW + timedelta(hours=n))
        done = True

    async def read(state: str | None) -> None:
        while not done and len(torn) < READS:
            items, total = await list_findings(pg_pool, site_id=site, state=state, offset=0, limit=200)
            if len(items) != total:
                torn.append((state, len(items), total))
            await asyncio.sleep(0)

    await asyncio.gather(inspect(), read("open"), read("open"), read(None), read(None))
    assert torn == [], torn[:3]
    assert (await list_findings(pg_pool, site_id=site, state="open", limit=200))[1] == 22  # p19 .. p40


async def test_a_sites_inventory_counts_as_of_one_moment(pg_pool: asyncpg.Pool) -> None:
    """`siteInventory`: the columns never hold more items than the site has documents while a crawl's pages are
    stored (the kinds, the columns and the findings are read in one snapshot)."""
    site = await make_site(pg_pool, level="市")
    torn: list[tuple[int, int]] = []
    done = False

    async def crawl() -> None:
        nonlocal done
        for n in range(40):
            pages = [
                PageFetched(
                    site_id=site,
                    url=f"https://{site}.example/tzgg/{n}-{i}.html",
                    status=200,
                    content_hash=f"{n}-{i}",
                    fetched_at="2024-06-10T10:00:00+08:00",
                    title=f"通知{n}-{i}",
                    text="正文",
                    published_at="2024-06-01",
                    column="通知公告",
                )
                for i in range(5)
            ]
            async with pg_pool.acquire() as conn, conn.transaction():
                await apply_pages(conn, pages)
        done = True

    async def read() -> None:
        while not done and len(torn) < READS:
            inventory = await site_inventory(pg_pool, site, NOW)
            items = sum(c.items for c in inventory.columns)
            if items > inventory.documents:
                torn.append((inventory.documents, items))
            await asyncio.sleep(0)

    await asyncio.gather(crawl(), read(), read(), read())
    assert torn == [], torn[:3]
    assert (await site_inventory(pg_pool, site, NOW)).documents == 200

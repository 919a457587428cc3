"""A page of documents or policies and the total beside it are read as of one moment while the indexer and the
policy library keep storing new pages (real Postgres and NATS)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date

import asyncpg
import pytest

from core.bus import Bus
from core.documents import list_documents
from core.documents.service import apply_pages
from core.policy.facets import list_policies
from core.policy.queries import Filters
from tests.integration.search_fixtures import make_site
from tests.integration.test_policy_library import page
from workers.policy_library import PolicyLibrary

pytestmark = pytest.mark.integration
RUN = secrets.token_hex(3)
ISSUER = f"示范市快照局{RUN}"
READS = 1000  # at most, per reader: enough to meet the writer between two statements many times


async def test_a_page_of_documents_and_of_policies_agrees_with_its_total(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    """`documents` and `policies` answer a page and its total: a policy stored between the two statements is in
    both or in neither, so the total is never smaller (or larger) than the whole list it counts."""
    site = await make_site(pg_pool, level="市")
    library = PolicyLibrary(pg_pool, bus)
    torn: list[tuple[str, int, int]] = []
    done = False

    async def write() -> None:
        nonlocal done
        for n in range(30):
            meta = {"doc_no": f"快发〔2024〕{n + 1}号", "issuer": ISSUER, "published_date": f"2024-03-{n % 28 + 1:02d}"}
            title = f"示范市快照管理办法第{n}号{RUN}"
            text = f"第一条 为规范快照，制定本办法。{n}"
            pages = [page(site, f"zcwj/{n}.html", title, text, kind="policy", meta=meta)]
            async with pg_pool.acquire() as conn, conn.transaction():
                changed = await apply_pages(conn, pages)
            await library.handle(changed)
        done = True

    async def read_documents() -> None:
        while not done and len(torn) < READS:
            items, total = await list_documents(pg_pool, site_id=site, kind="policy", offset=0, limit=100)
            if len(items) != total:
                torn.append(("documents", len(items), total))
            await asyncio.sleep(0)

    async def read_policies() -> None:
        while not done and len(torn) < READS:
            found = await list_policies(pg_pool, Filters(issuer=ISSUER), today=date(2024, 6, 1), offset=0, limit=100)
            if len(found.items) != found.total:
                torn.append(("policies", len(found.items), found.total))
            await asyncio.sleep(0)

    await asyncio.gather(write(), read_documents(), read_documents(), read_policies(), read_policies())
    assert torn == [], torn[:3]
    final = await list_policies(pg_pool, Filters(issuer=ISSUER), today=date(2024, 6, 1), offset=0, limit=100)
    assert final.total == len(final.items) == 30

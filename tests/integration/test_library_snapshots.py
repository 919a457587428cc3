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
from core.policy import topics
from core.policy.facets import list_policies
from core.policy.queries import Filters
from core.policy.topics import TopicRule
from tests.integration.search_fixtures import make_site
from tests.integration.test_policy_library import page
from workers.policy_library import PolicyLibrary

pytestmark = pytest.mark.integration
RUN = secrets.token_hex(3)
ISSUER = f"示范市快照局{RUN}"
READS = 1000  # at most, per reader: enough to meet the writer between two statements many times


async def store_policy(
    pool: asyncpg.Pool, library: PolicyLibrary, site: str, n: int, *, issuer: str = ISSUER, name: str = "快照"
) -> None:
    """A policy page stored as the indexer stores it, then taken into the library as its consumer does."""
    meta = {"doc_no": f"{name[0]}发〔2024〕{n + 1}号", "issuer": issuer, "published_date": f"2024-03-{n % 28 + 1:02d}"}
    title = f"示范市{name}管理办法{RUN}第{n}号"
    text = f"第一条 为规范{name}，制定本办法。{n}"
    pages = [page(site, f"zcwj/{n}.html", title, text, kind="policy", meta=meta)]
    async with pool.acquire() as conn, conn.transaction():
        changed = await apply_pages(conn, pages)
    await library.handle(changed)


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
            await store_policy(pg_pool, library, site, n)
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


async def test_a_page_of_topics_and_of_a_topics_policies_agrees_with_its_total(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    """`topics` and `topic(slug) { policies }` answer a page and its total: while the library matches new policies
    to a topic and admins create topics, what is listed and what is counted are read as of one moment."""
    site = await make_site(pg_pool, level="市")
    library = PolicyLibrary(pg_pool, bus)
    slug = f"snap-{RUN}"
    await topics.create_topic(
        pg_pool, slug=slug, fields=topics.TopicFields(name="快照", rule=TopicRule(keywords=(f"专题管理办法{RUN}",)))
    )
    torn: list[tuple[str, int, int]] = []
    done = False

    async def write() -> None:
        nonlocal done
        for n in range(20):
            await store_policy(pg_pool, library, site, n, issuer=f"示范市专题局{RUN}", name="专题")
            fields = topics.TopicFields(name=f"快照专题{n}")
            await topics.create_topic(pg_pool, slug=f"{slug}-{n}", fields=fields)
        done = True

    async def read_topic() -> None:
        while not done and len(torn) < READS:
            found = await topics.topic_policies(pg_pool, slug, offset=0, limit=100)
            if len(found.items) != found.total:
                torn.append(("topic", len(found.items), found.total))
            await asyncio.sleep(0)

    async def read_topics() -> None:
        while not done and len(torn) < READS:
            items, total = await topics.list_topics(pg_pool, offset=0, limit=100_000)
            if len(items) != total:
                torn.append(("topics", len(items), total))
            await asyncio.sleep(0)

    await asyncio.gather(write(), read_topic(), read_topic(), read_topics(), read_topics())
    assert torn == [], torn[:3]
    assert (await topics.topic_policies(pg_pool, slug, offset=0, limit=100)).total == 20

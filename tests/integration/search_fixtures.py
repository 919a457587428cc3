"""Helpers for search projection tests: a site of their own, consumers that read only its events."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from core.bus import Bus, ConsumerRunner, DocumentChanged, PageFetched, PageImported
from core.db import migrate
from core.search import SearchEngine, SearchRequest, SearchResult
from tests.services import create_database
from workers.indexer import Indexer
from workers.projector import SearchProjector


@pytest.fixture
async def own_database(service_urls: dict[str, str]) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    """A migrated database of this test alone (URL and pool): a rebuild reads every document there is."""
    url = await create_database(service_urls["database"])
    pool = await asyncpg.create_pool(url, min_size=1, max_size=5)
    await migrate(pool)
    yield url, pool
    await pool.close()


async def make_site(pool: asyncpg.Pool, *, level: str = "区县", region: str = "江北区", department: str = "") -> str:
    site = f"t-{secrets.token_hex(4)}"
    await pool.execute(
        "insert into sites (id, name, level, region, department) values ($1, $2, $3, $4, $5)",
        site,
        f"测试站点{site}",
        level,
        region,
        department or None,
    )
    return site


class _SiteIndexer(Indexer):
    """The indexer's code on both lanes of one site."""

    event_types = (PageFetched, PageImported)
    site = ""

    def subjects(self) -> list[str]:
        return [f"{t.SUBJECT}.{self.site}" for t in self.event_types]


def site_consumers(pool: asyncpg.Pool, bus: Bus, engine: SearchEngine, site: str) -> tuple[Indexer, SearchProjector]:
    """The real indexer and projector, under durable names of their own that read only this site's events (both
    lanes: crawled and imported pages), so other tests' backlog in the session's streams does not reach them."""
    indexer = _SiteIndexer(pool, bus)
    indexer.name, indexer.site = f"indexer-{site}", site
    projector = SearchProjector(pool, engine)
    projector.name, projector.subject = f"search-projector-{site}", f"{DocumentChanged.SUBJECT}.{site}"
    return indexer, projector


@contextlib.asynccontextmanager
async def running(bus: Bus, *consumers: Any) -> AsyncIterator[list[ConsumerRunner]]:
    """Consumers running in this process, as `yiwang consumers` runs them; durables removed afterwards."""
    runners = [ConsumerRunner(bus, c, batch=32, ack_wait_s=10) for c in consumers]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    try:
        yield runners
    finally:
        for r in runners:
            r.stop()
        await asyncio.gather(*tasks)
        for c in consumers:
            with contextlib.suppress(Exception):
                await bus.js.delete_consumer(c.stream, c.name)


async def site_hits(engine: SearchEngine, site: str, query: str = "") -> SearchResult:
    return await engine.search(SearchRequest(query=query, filters={"site": [site]}, limit=100, highlight=False))


def titles(result: SearchResult) -> dict[str, str]:
    return {h.url: h.title for h in result.hits}

"""Postgres stopped and started again under load: the API says it is not ready, answers every request quickly with
a coded error, keeps every mutation it acknowledged, and recovers by itself once Postgres is back."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import Bus, PageFetched
from core.db import migrate
from core.settings import Settings
from ops.embedded import EmbeddedServices
from tests.integration.conftest import serve_api
from tests.integration.graphql import ADMIN_TOKEN
from tests.integration.search_fixtures import make_site, running
from tests.polling import eventually
from workers.indexer import Indexer

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ANSWER_WITHIN_S = 10.0  # no request may hang longer than this, outage or not
ADD = 'mutation($c: String!) { addSynonym(colloquial: $c, official: "重启测试") { colloquial } }'
READ = "{ sites { id } }"
PAGES = 20


@dataclass
class Load:
    """What the clients saw: the words whose addSynonym was acknowledged, and every error code answered."""

    acknowledged: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    messages: set[str] = field(default_factory=set)
    slowest_s: float = 0.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def post(session: aiohttp.ClientSession, url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with session.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers) as r:
        assert r.status == 200, await r.text()  # an outage is a GraphQL error, not a 500 page
        return dict(await r.json())


async def client(url: str, load: Load, name: str) -> None:
    """Mutations and reads in a loop until told to stop, each answered within ANSWER_WITHIN_S."""
    timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for i in range(100_000):
            if load.stop.is_set():
                return
            word = f"重启{name}词{i}"
            started = time.monotonic()
            for query, variables in ((ADD, {"c": word}), (READ, {})):
                body = await post(session, url, query, variables)
                for error in body.get("errors") or []:
                    load.codes.append(error["extensions"]["code"])
                    load.messages.add(error["message"])
                if query == ADD and not body.get("errors"):
                    load.acknowledged.append(word)
            load.slowest_s = max(load.slowest_s, time.monotonic() - started)
            await asyncio.sleep(0.01)


async def readyz(url: str) -> tuple[int, dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_S)
    async with aiohttp.ClientSession(timeout=timeout) as s, s.get(f"{url}/readyz") as r:
        return r.status, dict(await r.json())


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedServices, str]]:
    """A Postgres of this test alone (it gets stopped), migrated."""
    services = EmbeddedServices(tmp_path / "pg")
    url = (await asyncio.to_thread(services.start, nats=False))["postgres"].url
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await migrate(pool)
    finally:
        await pool.close()
    yield services, url
    await asyncio.to_thread(services.stop)


async def count(url: str, words: list[str]) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("select count(*) from search_synonyms where colloquial = any($1)", words))
    finally:
        await conn.close()


def page(site: str, i: int) -> PageFetched:
    url, fetched = f"https://{site}.example.gov.cn/{i}.html", "2026-01-01T00:00:00+00:00"
    return PageFetched(site_id=site, url=url, status=200, content_hash=f"h{i}", fetched_at=fetched, title=f"第{i}页")


async def test_postgres_restart_under_load(
    own_postgres: tuple[EmbeddedServices, str], settings: Settings, bus: Bus, tmp_path: Path
) -> None:
    services, db_url = own_postgres
    own = dataclasses.replace(settings, database_url=db_url, data_dir=tmp_path / "data")
    pool = await asyncpg.create_pool(db_url, min_size=1, max_size=3)  # the indexer's, as a consumers process has
    site = await make_site(pool)
    indexer = Indexer(pool, bus)
    indexer.name, indexer.subject = f"indexer-{site}", f"{PageFetched.SUBJECT}.{site}"
    async with serve_api(own, rate_limit_per_min=0) as url, running(bus, indexer) as (runner,):
        runner.max_deliver, runner.ack_wait_s = 2, 1.0  # an outage must spend none of these deliveries
        load = Load()
        clients = [asyncio.create_task(client(url, load, str(n))) for n in range(3)]
        try:
            await eventually(lambda: asyncio.sleep(0, len(load.acknowledged)), lambda n: n >= 10, what="load")
            await asyncio.to_thread(services.stop, "postgres")
            _, body = await eventually(lambda: readyz(url), lambda r: r[0] == 503, timeout=10, what="503")
            assert body["checks"]["postgres"] is False and body["checks"]["nats"] is True
            await asyncio.gather(*(bus.publish(page(site, i)) for i in range(PAGES)))  # crawled meanwhile
            before = len(load.codes)
            await eventually(lambda: asyncio.sleep(0, len(load.codes)), lambda n: n >= before + 10, what="errors")
            await asyncio.sleep(2 * runner.ack_wait_s)  # long enough to spend every delivery, were they spent
            acknowledged_while_down = len(load.acknowledged)
            await asyncio.to_thread(services.start, nats=False)  # the same port, as a restarted server has
            await eventually(lambda: readyz(url), lambda r: r[0] == 200, timeout=20, what="ready again")
            await eventually(
                lambda: asyncio.sleep(0, len(load.acknowledged)),
                lambda n: n >= acknowledged_while_down + 10,
                timeout=20,
                what="mutations acknowledged again",
            )
            stored = "select count(*) from documents where site_id = $1"
            await eventually(lambda: pool.fetchval(stored, site), lambda n: n == PAGES, timeout=20, what="pages")
        finally:
            load.stop.set()
            await asyncio.gather(*clients)
    versions = await pool.fetchval("select max(version) from documents where site_id = $1", site)
    await pool.close()
    assert versions == 1, "a page held through the outage was applied once"
    assert runner.stats.dead_lettered == 0, "an outage spends no delivery: nothing is dead-lettered"
    assert set(load.codes) == {"UPSTREAM"}, "an outage is a coded error the client may retry, never INTERNAL"
    assert load.messages == {"The database is unavailable for a moment; try again shortly."}
    assert load.slowest_s < ANSWER_WITHIN_S
    assert await count(db_url, load.acknowledged) == len(load.acknowledged), "every acknowledged mutation is kept"

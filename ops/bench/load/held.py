"""After the soak's change feed: crawl until every withdrawal is seen, settle, then what Postgres, the search index
and the subscribers hold of the feed's URLs (ops.bench.load.changes.judge_counts compares them)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import asyncpg

from core.bus import Bus
from core.search.models import SearchRequest
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from ops.bench.load.changes import Held, Ledger
from ops.bench.load.live import Subscriber
from ops.chaos.checks import settled
from ops.embedded import EmbeddedServices

GONE = "select count(*) from documents where url = any($1::text[]) and gone"
STORED = "select url, site_id, title, text from live_documents where url = any($1::text[])"
TITLES = "select url, site_id, title from documents where url = any($1::text[])"


class Mesh:
    """Postgres, NATS and the search index of the mesh in `data_dir`, opened for the count check."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    async def __aenter__(self) -> Mesh:
        status = EmbeddedServices(self.data_dir).status()
        pg, nats = status["postgres"], status["nats"]
        if pg is None or nats is None:
            raise SystemExit(f"the embedded Postgres and NATS of {self.data_dir} are not running")
        settings = Settings(database_url=pg.url, nats_url=nats.url, data_dir=self.data_dir)
        self.pool = await asyncpg.create_pool(pg.url, min_size=1, max_size=2)
        self.bus = await Bus(settings, name="soak").connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.bus.close()
        await self.pool.close()


async def crawl_until_gone(
    mesh: Mesh, ledger: Ledger, crawl: Callable[[], Awaitable[None]], *, rounds: int, timeout: float
) -> list[str]:
    """Full crawls, each waited for, until every withdrawn URL is gone (a page is gone after two 404s in a row,
    so it takes two crawls after the last withdrawal); one line per round."""
    lines = []
    for n in range(1, rounds + 1):
        await crawl()
        waited = await settled(mesh.pool, mesh.bus, timeout)
        gone = int(await mesh.pool.fetchval(GONE, list(ledger.withdrawn)))
        lines.append(f"final crawl {n}: settled in {waited:.0f} s; withdrawn gone {gone}/{len(ledger.withdrawn)}")
        if n >= 2 and gone == len(ledger.withdrawn):
            break
    await asyncio.sleep(5)  # the search writer's last commit becomes visible to a new reader
    return lines


async def held(mesh: Mesh, ledger: Ledger, subs: Sequence[Subscriber]) -> Held:
    stored = {r["url"]: r for r in await mesh.pool.fetch(STORED, list(ledger.published) + list(ledger.edited))}
    published = [stored[u] for u in ledger.published if u in stored]
    edited = sum(1 for u, n in ledger.edited.items() if u in stored and f"第{n}次更新" in stored[u]["text"])
    withdrawn = await mesh.pool.fetch(TITLES, list(ledger.withdrawn))
    engine = TantivyEngine(mesh.data_dir)
    await engine.open()
    try:
        searchable = sum([await _found(engine, r["url"], r["site_id"], r["title"]) for r in published])
        still = sum([await _found(engine, r["url"], r["site_id"], r["title"]) for r in withdrawn])
    finally:
        await engine.close()
    urls = ledger.urls()
    open_subs = [s for s in subs if s.error is None]
    return Held(
        stored=len(published),
        searchable=searchable,
        edited=edited,
        gone=int(await mesh.pool.fetchval(GONE, list(ledger.withdrawn))),
        unsearchable=len(ledger.withdrawn) - still,
        subscribers_complete=sum(1 for s in open_subs if urls <= s.received.keys()),
        subscribers_open=len(open_subs),
    )


async def _found(engine: TantivyEngine, url: str, site: str, title: str) -> bool:
    """Whether a search for the title, on its site, lists the URL (as a hit or as a copy of one)."""
    for req in (
        SearchRequest(title_terms=[title], filters={"site": [site]}, limit=20, highlight=False),
        SearchRequest(query=title, filters={"site": [site]}, limit=20, highlight=False),
    ):
        result = await engine.search(req)
        if any(url == h.url or url in {c.url for c in h.copies} for h in result.hits):
            return True
    return False

"""A light mixed load on the mesh: GraphQL clients, an importer, full crawls of the demo sites; every outcome kept."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import asyncpg
import dramatiq

from core.bus import Bus
from core.crawls import request_crawl
from core.documents.importer import import_documents

QUERIES = [
    '{ search(query: "养老服务补贴", pageSize: 5) { total } }',
    '{ search(query: "通知", pageSize: 10) { total hits { url } } }',
    "{ sites { id documentCount lastCrawledAt } }",
    '{ documents(site: "demo-portal", pageSize: 5) { items { url version } } }',
]
IMPORT_SITE = "chaos-import"


@dataclass
class Outcomes:
    """What the load saw, stamped with monotonic time: (t, what) where what is an HTTP status or an error."""

    requests: list[tuple[float, str]] = field(default_factory=list)
    imports: list[tuple[float, str]] = field(default_factory=list)
    imported_urls: set[str] = field(default_factory=set)

    def failures(self, start: float, end: float) -> tuple[int, int, str]:
        """(requests in the window, failed ones, the failures by code)."""
        window = [what for t, what in self.requests if start <= t <= end]
        failed = Counter(what for what in window if what != "200")
        codes = ", ".join(f"{code}×{n}" for code, n in failed.most_common()) or "-"
        return len(window), sum(failed.values()), codes


async def one_request(session: aiohttp.ClientSession, url: str) -> str:
    try:
        async with session.post(url, json={"query": random.choice(QUERIES)}) as resp:
            body = await resp.json(content_type=None)
            if resp.status == 200 and isinstance(body, dict) and body.get("errors"):
                return "200+errors"
            return str(resp.status)
    except TimeoutError:
        return "timeout"
    except aiohttp.ClientConnectionError:
        return "refused/reset"
    except (aiohttp.ClientError, ValueError) as exc:
        return type(exc).__name__


async def client(url: str, outcomes: Outcomes, stop: asyncio.Event) -> None:
    """One GraphQL client: a query, a short pause, again (a new connection after a failure)."""
    timeout = aiohttp.ClientTimeout(total=10)
    while not stop.is_set():
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not stop.is_set():
                what = await one_request(session, url)
                outcomes.requests.append((time.monotonic(), what))
                await asyncio.sleep(random.uniform(0.1, 0.4))
                if what != "200":
                    break


async def ensure_import_site(pool: asyncpg.Pool) -> None:
    """The importer's own site, disabled so the scheduler never crawls it (its documents are imported only)."""
    await pool.execute(
        "insert into sites (id, name, level, enabled) values ($1, '故障演练导入', '市', false) on conflict do nothing",
        IMPORT_SITE,
    )


def _lines(n: int) -> tuple[list[str], list[str]]:
    token = secrets.token_hex(4)
    urls = [f"http://{IMPORT_SITE}.example.invalid/{token}/{i}.html" for i in range(n)]
    docs = [
        {"url": u, "title": f"养老服务补贴通知{token}-{i}", "text": "养老服务补贴的申请条件。", "kind": "policy"}
        for i, u in enumerate(urls)
    ]
    return [json.dumps(d, ensure_ascii=False) for d in docs], urls


async def importer(pool: asyncpg.Pool, bus: Bus, outcomes: Outcomes, stop: asyncio.Event, pause: asyncio.Lock) -> None:
    """Import five documents every two seconds (not waiting for the index: the checks do); a round holds
    `pause`, which the checks take to count between rounds."""
    while not stop.is_set():
        async with pause:
            await _import_round(pool, bus, outcomes)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=2)


async def _import_round(pool: asyncpg.Pool, bus: Bus, outcomes: Outcomes) -> None:
    lines, urls = _lines(5)
    try:
        # never cancelled: an import cut between its commit and its publish is the importer's loss, not the mesh's
        summary = await import_documents(pool, bus, lines, default_site=IMPORT_SITE, wait=False)
        outcomes.imports.append((time.monotonic(), "ok" if not summary.rejected else "rejected"))
        outcomes.imported_urls.update(urls)
    except Exception as exc:  # an outage: the lines are offered again in the next round
        outcomes.imports.append((time.monotonic(), type(exc).__name__))


async def crawl_all(pool: asyncpg.Pool, broker: dramatiq.Broker, sites: list[str]) -> int:
    """A full crawl of each demo site (a no-op for one in flight); how many were queued."""
    queued = 0
    for site in sites:
        request = await request_crawl(pool=pool, broker=broker, site_id=site, trigger="manual", full=True)
        queued += request.queued
    return queued

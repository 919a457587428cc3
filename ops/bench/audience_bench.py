"""Content and audience analytics, measured: hot-word counting and reading over N generated documents, and
page-view beacons per second against one `yiwang web` process.

Run by hand (never a test): embedded Postgres and NATS in a temp dir.
Usage: .venv/bin/python -m ops.bench.audience_bench [DOCUMENTS] [BEACONS] [CONCURRENCY]   (default 20000 5000 32)
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg

from core.analytics import View, ViewWriter, Window, apply_documents, content_hot_words, top_documents
from core.analytics.terms import salient_terms
from core.clock import local_date
from core.db import migrate
from ops.demo.vocab import TOPICS
from ops.embedded import throwaway_services
from tests.conftest import free_port

SITES = [("b-portal", "市"), ("b-rsj", "部门"), ("b-gjj", "部门"), ("b-county1", "区县"), ("b-county2", "区县")]
FOOTER = "本网站由市政府办公厅主办。网站标识码5001000001。"


def document(rng: random.Random, i: int) -> tuple[str, str, str, str]:
    topic = rng.choice(list(TOPICS.values()))
    item, goal = rng.choice(topic.items), rng.choice(topic.goals)
    subsidy, people = rng.choice(topic.subsidies), rng.choice(topic.people)
    title = rng.choice([f"关于{item}的通知", f"{item}办事指南", f"{topic.name}：{goal}", f"{subsidy}发放公告"])
    lines = [
        f"为{goal}，现就{item}有关事项通知如下",
        f"{people}可申请{item}",
        f"所需材料：{'、'.join(topic.materials)}",
    ]
    body = "。".join([*lines, rng.choice(topic.questions), FOOTER] * 3)
    return f"https://www.{i % 5}.gov.cn/art/{i}.html", title, body, hashlib.sha256(body.encode()).hexdigest()


async def seed(pool: asyncpg.Pool, n: int) -> list[str]:
    for site, level in SITES:
        await pool.execute("insert into sites (id, name, level) values ($1, $1, $2)", site, level)
    rng, today = random.Random(7), local_date(datetime.now(UTC))
    rows = []
    for i in range(n):
        url, title, body, digest = document(rng, i)
        rows.append((url, SITES[i % len(SITES)][0], title, body, digest, today - timedelta(days=rng.randrange(35))))
    await pool.copy_records_to_table(
        "documents", records=rows, columns=["url", "site_id", "title", "text", "content_hash", "published_at"]
    )
    return [str(r[0]) for r in await pool.fetch("select id from documents")]


async def hot_words(pool: asyncpg.Pool, ids: list[str]) -> None:
    now = datetime.now(UTC)
    salient_terms("预热", "")  # the dictionaries load once per process (~6 s), not part of the rate
    started = time.perf_counter()
    for i in range(0, len(ids), 500):
        await apply_documents(pool, ids[i : i + 500], now=now)
    spent = time.perf_counter() - started
    print(f"hot words: counted {len(ids)} documents in {spent:.1f} s ({len(ids) / spent:.0f} documents/s)")
    terms = await pool.fetchval("select count(*) from analytics_term_days")
    print(f"  {terms} (site, day, term) rows")
    for window in (Window.DAY, Window.WEEK):
        for scope in ({"site": "b-rsj"}, {"level": "区县"}, {}):
            t = time.perf_counter()
            found = await content_hot_words(pool, window=window, now=now, limit=20, **scope)
            took = (time.perf_counter() - t) * 1000
            top = [w.term for w in found[:3]]
            print(f"  contentHotWords {window.name} {scope or 'all sites'}: {took:.0f} ms, top {top}")


async def beacons(db_url: str, nats_url: str, urls: list[str], total: int, concurrency: int) -> None:
    port = free_port()
    env = {
        **os.environ,
        **{"DATABASE_URL": db_url, "NATS_URL": nats_url, "PORT": str(port), "LOG_LEVEL": "WARNING"},
        **{"RATE_LIMIT_PER_MIN": "0", "TRUSTED_PROXIES": "127.0.0.1", "DATA_DIR": tempfile.mkdtemp(prefix="yw-pv-")},
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ops", "web", env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as s:
            for _ in range(600):
                try:
                    async with s.get(f"{base}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            started = time.perf_counter()
            for _ in range(500):  # the same server's floor: the whole middleware stack, no work
                async with s.get(f"{base}/healthz") as r:
                    await r.read()
            print(f"  /healthz one at a time: {500 / (time.perf_counter() - started):.0f} requests/s")
            rng = random.Random(3)
            jobs = [
                (rng.choice(urls), f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.7")
                for _ in range(total)
            ]
            statuses: dict[int, int] = {}

            async def client(part: list[tuple[str, str]]) -> None:
                for url, address in part:
                    headers = {"X-Forwarded-For": address, "User-Agent": "Mozilla/5.0 (bench) Chrome/126.0"}
                    async with s.post(f"{base}/beacon/pv", json={"url": url}, headers=headers) as r:
                        statuses[r.status] = statuses.get(r.status, 0) + 1

            started = time.perf_counter()
            await asyncio.gather(*(client(jobs[i::concurrency]) for i in range(concurrency)))
            spent = time.perf_counter() - started
        rate = f"{total} POST /beacon/pv in {spent:.1f} s = {total / spent:.0f} requests/s"
        print(f"beacon: {rate} ({concurrency} concurrent clients, one server process), statuses {statuses}")
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)


async def writer_rate(pool: asyncpg.Pool, total: int) -> None:
    """The counting alone, in this process: views through the group-commit writer, all at once."""
    ids = [(str(r[0]), r[1]) for r in await pool.fetch("select id, site_id from documents limit 2000")]
    rng, day, writer = random.Random(5), local_date(datetime.now(UTC)), ViewWriter(pool)
    views = [
        View(document_id=d, site_id=site, visitor=f"v{rng.randrange(total)}", province="上海市", day=day)
        for d, site in (rng.choice(ids) for _ in range(total))
    ]
    started = time.perf_counter()
    await asyncio.gather(*(writer.record(v) for v in views))
    spent = time.perf_counter() - started
    print(f"ViewWriter: {total} views in {spent:.1f} s = {total / spent:.0f} views/s (group commit, one process)")


async def main(n: int, total: int, concurrency: int) -> None:
    with throwaway_services("yw-audience-bench-") as (_, db_url, nats_url):
        pool = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
        try:
            await migrate(pool)
            ids = await seed(pool, n)
            await hot_words(pool, ids)
            urls = [r[0] for r in await pool.fetch("select url from documents limit 2000")]
            await beacons(db_url, nats_url, urls, total, concurrency)
            await writer_rate(pool, total)
            t = time.perf_counter()
            top = await top_documents(pool, window=Window.DAY, now=datetime.now(UTC), limit=10)
            print(f"topDocuments DAY over {total} views: {(time.perf_counter() - t) * 1000:.0f} ms, {len(top)} rows")
        finally:
            await pool.close()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    asyncio.run(main(*(args + [20000, 5000, 32][len(args) :])))

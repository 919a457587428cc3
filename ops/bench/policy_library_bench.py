"""The policy-library consumer, measured: documents per second through `PolicyLibrary.handle` over batches of the
size the consumer fetches, for N disclosure items (the disclosure demo's bulk) mixed with a few policies, pages
explaining them, guides, a transcript and gone documents.

Run by hand (never a test): embedded Postgres and NATS in a temp dir.
Usage: .venv/bin/python -m ops.bench.policy_library_bench [DOCUMENTS] [BATCH] [OTHERS]   (default 5000 64 30000)
OTHERS: documents already stored and not delivered (the rest of the demo's 35,000 items), as a running site has.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core.bus import Bus, DocumentChanged, PageFetched
from core.db import migrate
from core.documents.service import apply_pages
from core.settings import Settings
from ops.embedded import throwaway_services
from workers.policy_library import PolicyLibrary

SITES = ("b-city", "b-county", "b-town")
TITLES = ("党员发展情况公示", "低保对象名单公示", "高龄津贴发放情况", "村民代表会议决议", "月度财务收支明细")
BOARDS = ("党务/党员管理", "政务/社会保障", "村(居)务/民主决策", "财务/收支明细", "三资/资产管理")
POLICY = "示范市{topic}补贴实施办法{i}"
TOPICS = ("稳岗返还", "养老服务", "创业担保贷款", "技能提升", "住房公积金", "医疗救助", "农机购置", "消费券")


def page(site: str, path: str, title: str, text: str, *, kind: str, **extra: Any) -> PageFetched:
    """A fetched page (`extra`: column, meta, gone), its hash over what it shows."""
    digest = hashlib.sha256(json.dumps([kind, title, text, extra], ensure_ascii=False).encode()).hexdigest()
    url, status = f"https://{site}.example.gov.cn/{path}", 404 if extra.get("gone") else 200
    at = datetime.now(UTC).isoformat()
    return PageFetched(site, url, status, digest, at, kind=kind, title=title, text=text, source=kind, **extra)


def pages(n: int, rng: random.Random) -> tuple[list[PageFetched], list[PageFetched]]:
    """(pages to store, pages that then go): n disclosure items and a few dozen documents of the library's kinds."""
    out = []
    for i in range(n):
        board = rng.choice(BOARDS)
        lines = ["示范市 示范区 示范镇 新和村", f"{board} 2024-{i % 12 + 1:02d}", "明细如下。" * rng.randint(20, 80)]
        body = "\n".join(lines)
        title = rng.choice(TITLES)
        out.append(page(SITES[i % 3], f"disclosure/items/{i}", title, body, kind="disclosure", column=board))
    for i in range(24):
        site, topic = SITES[i % 3], TOPICS[i % len(TOPICS)]
        title, no = POLICY.format(topic=topic, i=i), f"示人社发〔2024〕{100 + i}号"
        meta = {"doc_no": no, "issuer": "示范市人力资源和社会保障局", "published_date": "2024-02-26"}
        body = f"为支持{topic}，制定本办法。\n第一条 符合条件的可以申请{topic}补贴。\n本办法自2024年3月1日起施行。"
        out.append(page(site, f"zcwj/{i}.html", title, body, kind="policy", meta=meta))
        interp = f"近日，市人社局印发了《{title}》（{no}）。现解读如下。\n一、出台背景……"
        out.append(page(site, f"zcjd/{i}.html", f"关于《{title}》的解读", interp, kind="interpretation"))
        if i % 4 == 0:
            guide = f"事项名称\n{topic}补贴申领\n申请材料\n身份证\n办理时限\n5个工作日\n设定依据：《{title}》。"
            out.append(page(site, f"bszn/{i}.html", f"{topic}补贴申领办事指南", guide, kind="service"))
        if i % 8 == 0:
            talk = f"主持人：今天解读《{title}》。\n示范日报记者：补贴怎么申请？\n张明：\n网上申请即可。\n"
            out.append(page(site, f"xwfbh/{i}.html", f"市人社局负责人就《{title}》答记者问", talk, kind="news"))
    rng.shuffle(out)
    gone = [page(p.site_id, p.url.split(".cn/", 1)[1], "", "", kind=p.kind, gone=True) for p in out[:: max(n // 50, 1)]]
    return out, gone


async def seed(pool: asyncpg.Pool, n: int, others: int) -> list[DocumentChanged]:
    for site in SITES:
        await pool.execute("insert into sites (id, name, level) values ($1, $1, '市')", site)
    await pool.execute(
        """insert into documents (url, site_id, kind, title, text, content_hash)
           select 'https://b-town.example.gov.cn/disclosure/items/other-' || g, 'b-town', 'disclosure',
                  '月度财务收支明细', '明细如下。', md5(g::text) from generate_series(1, $1) g""",
        others,
    )
    stored, gone = pages(n, random.Random(7))
    changes: dict[str, DocumentChanged] = {}
    for group in (stored, gone):
        for start in range(0, len(group), 500):
            async with pool.acquire() as conn, conn.transaction():
                for ch in await apply_pages(conn, group[start : start + 500]):
                    changes[ch.document_id] = ch
    events = list(changes.values())
    random.Random(3).shuffle(events)
    return events


async def run(library: PolicyLibrary, events: list[DocumentChanged], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(events), batch):
        await library.handle(events[start : start + batch])
    return time.perf_counter() - started


async def snapshot(pool: asyncpg.Pool) -> dict[str, int]:
    tables = ("policies", "policy_mentions", "policy_explainers", "qa_pairs", "qa_graph_nodes", "qa_graph_edges")
    return {t: int(await pool.fetchval(f"select count(*) from {t}")) for t in tables}


async def main(n: int, batch: int, others: int) -> None:
    with throwaway_services("yw-policy-library-bench-") as (_, db_url, nats_url):
        pool = await asyncpg.create_pool(db_url, min_size=1, max_size=4)
        bus = await Bus(Settings(nats_url=nats_url), name="bench").connect()
        try:
            await bus.ensure_streams()
            await migrate(pool)
            events = await seed(pool, n, others)
            await pool.execute("analyze")
            library = PolicyLibrary(pool, bus)
            await library.classifier.model()  # no labelled pages: nothing trained, nothing timed
            first = await run(library, events, batch)
            load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
            print(f"{load}; {len(events)} documents delivered, {others} others stored")
            print(f"  first delivery: {first:.1f} s = {len(events) / first:.0f} documents/s (batches of {batch})")
            again = await run(library, events, batch)
            print(f"  redelivery:     {again:.1f} s = {len(events) / again:.0f} documents/s")
            print(f"  {await snapshot(pool)}")
        finally:
            await bus.close()
            await pool.close()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    asyncio.run(main(*(args + [5000, 64, 30000][len(args) :])))

"""Hot words of web content are what citizens read on the sites: a burst of open-data datasets (catalogue records,
published by the hundred on one day) is not the group's news, a burst of articles is."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus, ConsumerRunner, DocumentChanged
from core.clock import local_date
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql
from tests.integration.test_analytics_content import add_doc, add_site
from tests.polling import eventually
from workers.content_analytics import ContentAnalyticsConsumer

pytestmark = pytest.mark.integration

TAG = secrets.token_hex(3)
DATASETS = ["桥梁养护名录", "桥梁养护台账", "桥梁养护单位名录", "桥梁养护项目清单", "桥梁养护巡查记录", "桥梁养护资金"]
ARTICLES = ["夜间经济消费季启动", "夜间经济街区开放", "夜间经济惠民措施出台", "夜间经济示范点评选"]
GROUP = """query($limit: Int!) { contentHotWords(window: DAY, limit: $limit) {
  term count documents { id } } }"""


async def _count(pool: asyncpg.Pool, bus: Bus, sites: Sequence[str], expected: int) -> None:
    """Run a content consumer of these sites' subjects over their documents until `expected` are counted."""
    consumer = ContentAnalyticsConsumer(pool)
    consumer.name = f"content-analytics-cat-{TAG}"
    consumer.subjects = lambda: [f"{DocumentChanged.SUBJECT}.{s}" for s in sites]  # type: ignore[method-assign]
    runner = ConsumerRunner(bus, consumer, batch=100, ack_wait_s=10)
    task = asyncio.create_task(runner.run())
    try:
        rows = await pool.fetch("select id::text, url, site_id from documents where site_id = any($1)", list(sites))
        for r in rows:
            await bus.publish(
                DocumentChanged(document_id=r[0], url=r[1], site_id=r[2], change="created", version=1, content_hash="h")
            )

        async def counted() -> int:
            sql = "select coalesce(sum(documents), 0) from analytics_site_days where site_id = any($1)"
            return int(await pool.fetchval(sql, list(sites)))

        await eventually(counted, lambda n: n == expected, what=f"{expected} documents of content counted")
    finally:
        runner.stop()
        await asyncio.wait_for(task, timeout=10)
        await bus.js.delete_consumer(consumer.stream, consumer.name)


async def test_a_burst_of_datasets_is_no_hot_word_of_the_group_while_articles_are(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    opendata, county = f"ac-data-{TAG}", f"ac-news-{TAG}"
    await add_site(pg_pool, opendata, "市")
    await add_site(pg_pool, county, "区县")
    today = local_date(datetime.now(UTC))
    datasets = {await add_doc(pg_pool, opendata, t, f"{t}。桥梁养护数据。", today, "dataset") for t in DATASETS}
    articles = {await add_doc(pg_pool, county, t, f"{t}。本区夜间经济活动。", today, "article") for t in ARTICLES}
    await _count(pg_pool, bus, [opendata, county], expected=len(articles))  # the datasets count for nothing
    async with serve_api(settings) as url:
        out = await gql(url, GROUP, {"limit": 99})
    words = out["data"]["contentHotWords"]
    terms = {w["term"] for w in words}
    assert "夜间经济" in terms, terms
    night = next(w for w in words if w["term"] == "夜间经济")
    assert night["count"] == len(ARTICLES) and {d["id"] for d in night["documents"]} <= articles
    assert not any("桥梁" in t or "名录" in t for t in terms), "catalogue records are not the group's news"
    assert not {d["id"] for w in words for d in w["documents"]} & datasets


async def test_migration_0033_takes_back_datasets_counted_before(pg_pool: asyncpg.Pool) -> None:
    site = f"ac-old-{TAG}"
    await add_site(pg_pool, site, "市")
    day = local_date(datetime.now(UTC))
    dataset = await add_doc(pg_pool, site, "桥梁养护名录", "桥梁养护数据。", day, "dataset")
    article = await add_doc(pg_pool, site, "桥梁养护工程开工", "本市桥梁养护工程。", day, "article")
    await pg_pool.executemany(
        "insert into analytics_doc_terms (document_id, site_id, day, terms) values ($1::uuid, $2, $3, $4)",
        [(dataset, site, day, ["桥梁养护", "名录"]), (article, site, day, ["桥梁养护", "开工"])],
    )
    await pg_pool.executemany(
        "insert into analytics_term_days (site_id, day, term, documents) values ($1, $2, $3, $4)",
        [(site, day, "桥梁养护", 2), (site, day, "名录", 1), (site, day, "开工", 1)],
    )
    await pg_pool.execute("insert into analytics_site_days (site_id, day, documents) values ($1, $2, 2)", site, day)
    sql = (Path(__file__).parents[2] / "core" / "migrations" / "0033_analytics_dataset_terms.sql").read_text("utf-8")
    await pg_pool.execute(sql)
    kept = await pg_pool.fetch("select document_id::text from analytics_doc_terms where site_id = $1", site)
    assert [r[0] for r in kept] == [article]
    terms = await pg_pool.fetch(
        "select term, documents from analytics_term_days where site_id = $1 order by term", site
    )
    assert [tuple(r) for r in terms] == [("开工", 1), ("桥梁养护", 1)]
    assert await pg_pool.fetchval("select documents from analytics_site_days where site_id = $1", site) == 1

"""A site's 政策解读 column list page is no interpretation: not of the policies it lists, not in the site's section.

Crawled, the list page (/zcjd/, titled 政策解读, kind column) was read as a 文字解读 by its column and path, and as
one of every policy whose 《title》 it listed: on the demo, 6 of 50 policies showed /zcjd/ among their
interpretations, and `interpretations(site)` began with it, dated the day of the crawl.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus
from core.documents import apply_pages
from tests.integration.graphql import gql, gql_data
from tests.integration.search_fixtures import make_site, running
from tests.integration.test_policy_library import BODY, consumers, doc_id, page
from tests.polling import eventually

pytestmark = pytest.mark.integration
# of this run alone: the demo's pages, stored by other tests in the session's database, hold the plain title, and
# their 图解 and 解读 are that policy's by title on any site
TITLE = f"示范市门诊共济保障工作方案{secrets.token_hex(3)}"
POLICY = """query($id: ID!) { policy(id: $id) { interpretations { title kind } } }"""
SECTION = """query($site: String!) { interpretations(site: $site) { items { title kind } kinds { value count } } }"""


async def test_the_explaining_columns_list_page_explains_nothing(pg_pool: asyncpg.Pool, bus: Bus, api_url: str) -> None:
    site = await make_site(pg_pool, level="市")
    interp = f"近日，市医保局印发了《{TITLE}》。现解读如下。\n一、出台背景……"
    listing = f"政策解读\n关于《{TITLE}》的解读\n2026-08-02\n一图读懂《示范市养老服务办法》\n2026-07-13"
    column = page(site, "zcjd/", "政策解读", listing, kind="column")
    more = page(site, "zcjd/index_1.html", "政策解读", listing, kind="column")
    async with running(bus, *consumers(pg_pool, bus, [site])):
        # the list pages first: once the interpretation published last is in, the consumer has read them
        for event in (replace(column, column="政策解读"), replace(more, column="政策解读")):
            await bus.publish(event)
        await bus.publish(page(site, "zcwj/1.html", TITLE, BODY, kind="policy", meta={"published_date": "2026-07-01"}))
        await bus.publish(page(site, "zcjd/1.html", f"关于《{TITLE}》的解读", interp, kind="interpretation"))
        policy_id = await eventually(lambda: doc_id(pg_pool, site, "zcwj/1.html"), lambda v: v != "None")
        policy = await eventually(
            lambda: gql(api_url, POLICY, {"id": policy_id}),
            lambda out: (
                bool(out["data"]) and any(i["kind"] == "文字解读" for i in out["data"]["policy"]["interpretations"])
            ),
        )
    assert policy["data"]["policy"]["interpretations"] == [{"title": f"关于《{TITLE}》的解读", "kind": "文字解读"}]
    section = (await gql_data(api_url, SECTION, {"site": site}))["interpretations"]
    assert section["items"] == [{"title": f"关于《{TITLE}》的解读", "kind": "文字解读"}]
    assert section["kinds"] == [{"value": "文字解读", "count": 1}]


async def test_migration_0032_takes_list_pages_stored_before_out(pg_pool: asyncpg.Pool) -> None:
    """A list page stored as an explainer before the rule leaves its section and its policies; an admin's kind stays."""
    site = await make_site(pg_pool, level="市")
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_pages(
            conn,
            [
                replace(page(site, "zcjd/", "政策解读", "x", kind="column"), column="政策解读"),
                replace(page(site, "", "首页", "y", kind="homepage"), column=None),
                page(site, "zcjd/1.html", f"关于《{TITLE}》的解读", "z", kind="interpretation"),
            ],
        )
    ids = [await doc_id(pg_pool, site, path) for path in ("zcjd/", "", "zcjd/1.html")]
    await pg_pool.executemany(
        "insert into policy_mentions (document_id, relation, kind, by, value) values ($1, 'interpretation', '文字解读',"
        " 'title', $2)",
        [(i, TITLE) for i in ids],
    )
    await pg_pool.executemany(
        "insert into policy_explainers (document_id, site_id, kind_auto, kind_admin, published_at)"
        " values ($1, $2, '文字解读', $3, current_date)",
        [(ids[0], site, None), (ids[1], site, "图解"), (ids[2], site, None)],
    )
    sql = (Path(__file__).parents[2] / "core" / "migrations" / "0032_policy_navigation_pages.sql").read_text("utf-8")
    await pg_pool.execute(sql)
    mentions = await pg_pool.fetch("select document_id::text from policy_mentions where document_id = any($1)", ids)
    assert [r["document_id"] for r in mentions] == [ids[2]]
    kept = await pg_pool.fetch(
        "select document_id::text, kind_auto, kind_admin from policy_explainers where document_id = any($1::uuid[])"
        " order by kind_admin nulls last",
        ids,
    )
    assert [tuple(r) for r in kept] == [(ids[1], None, "图解"), (ids[2], "文字解读", None)]

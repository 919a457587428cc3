"""The policy-library consumer applies a batch as it applies its documents one by one (real Postgres and NATS): the
same library, reprint clusters, mentions, 解读 sections, Q&A pairs and service graph, whatever the batch mixes."""

from __future__ import annotations

import random
import re
import secrets
from typing import Any

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged, PageFetched
from core.documents.service import apply_pages
from tests.integration.search_fixtures import make_site
from tests.integration.test_policy_library import page
from workers.policy_library import PolicyLibrary

pytestmark = pytest.mark.integration
RUN = secrets.token_hex(3)
DISCLOSURES = 120
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _meta(doc_no: str, published: str) -> dict[str, Any]:
    return {
        "doc_no": doc_no,
        "issuer": "示范市人社局",
        "theme": "劳动、人事、监察\\劳动就业",
        "published_date": published,
    }


def before(site: str, w: str) -> list[PageFetched]:
    """What the library already holds: a policy with a reprint, a policy, a page explaining the first, an item."""
    old, old_no = f"示范市稳岗返还办法{w}{RUN}", f"示{w}人社发〔2019〕5号"
    body = (
        f"第一条 为支持企业稳定岗位，制定本办法。\n第二条 中小微企业按50%返还。\n第三条 本办法自2019年1月1日起施行。{w}"
    )
    meta, copy_meta = _meta(old_no, "2019-01-01"), _meta(old_no, "2019-02-01")
    other = f"第一条 见习单位应当与见习人员签订见习协议。\n第二条 见习期限3至12个月。{w}"
    other_meta = _meta(f"示{w}人社发〔2020〕3号", "2020-03-01")
    interp = f"近日，市人社局印发了《{old}》（{old_no}）。现解读如下。\n一、出台背景……"
    return [
        page(site, "zcwj/old.html", old, body, kind="policy", meta=meta),
        page(site, "zcwj/copy.html", old, f"来源：示范市人民政府网站\n{body}", kind="policy", meta=copy_meta),
        page(site, "zcwj/other.html", f"示范市就业见习管理办法{w}{RUN}", other, kind="policy", meta=other_meta),
        page(site, "zcjd/old.html", f"关于《{old}》的解读", interp, kind="interpretation"),
        page(site, "disclosure/items/gone", "月度财务收支明细", "明细如下。", kind="disclosure"),
    ]


def batch(site: str, w: str) -> list[PageFetched]:
    """The batch: a new policy, a page explaining it, a transcript, a guide, documents gone or no longer a policy,
    and many disclosure items."""
    title, no = f"示范市稳岗返还实施办法{w}{RUN}", f"示{w}人社发〔2024〕7号"
    body, meta = f"第一条 为支持企业稳定岗位，制定本办法。\n第二条 中小微企业按60%返还。{w}", _meta(no, "2024-02-26")
    talk = (
        f"主持人：今天解读《{title}》。\n示范日报记者：返还资金可以用在哪些方面？\n张明：\n用于职工生活补助。\n"
        "新华社记者：中小微企业返还比例是多少？\n张明：\n按上年度实际缴纳失业保险费的60%返还。\n"
    )
    guide = (
        f"事项名称\n稳岗返还申领{w}\n申请材料\n营业执照\n办理地点\n示范市政务服务中心\n办理时限\n5个工作日\n"
        f"收费标准\n不收费\n设定依据：《{title}》。"
    )
    items = [
        page(site, f"disclosure/items/{i}", f"低保对象名单公示{i}", f"第{i}批名单如下。", kind="disclosure")
        for i in range(DISCLOSURES)
    ]
    return [
        *items,
        page(site, "zcwj/new.html", title, body, kind="policy", meta=meta),
        page(
            site,
            "zcjd/new.html",
            f"关于《{title}》的解读",
            f"市人社局印发了《{title}》（{no}）。",
            kind="interpretation",
        ),
        page(site, "xwfbh/new.html", f"市人社局负责人就《{title}》答记者问", talk, kind="news"),
        page(site, "bszn/new.html", f"稳岗返还申领{w}办事指南", guide, kind="service"),
        page(site, "zcwj/old.html", "", "", kind="policy", gone=True),
        page(site, "zcjd/old.html", "", "", kind="interpretation", gone=True),
        page(site, "disclosure/items/gone", "", "", kind="disclosure", gone=True),
        page(site, "zcwj/other.html", f"就业见习工作动态{w}{RUN}", "见习工作进展顺利。", kind="news"),
    ]


async def store(pool: asyncpg.Pool, pages: list[PageFetched]) -> list[DocumentChanged]:
    async with pool.acquire() as conn, conn.transaction():
        return await apply_pages(conn, pages)


async def state(pool: asyncpg.Pool, site: str, w: str) -> dict[str, list[tuple[str, ...]]]:
    """Everything the consumer derives from the site's documents, with ids written as paths and the world's mark
    dropped, so two sites fed the same pages compare equal."""
    paths = {
        r["id"]: r["url"].split(".cn/", 1)[1]
        for r in await pool.fetch("select id::text, url from documents where site_id = $1", site)
    }
    ids = list(paths)

    def norm(value: Any) -> str:
        return _UUID.sub(lambda m: paths.get(m.group(), "elsewhere"), str(value)).replace(site, "SITE").replace(w, "")

    queries = {
        "policies": "select document_id, canonical_id, title, names, theme, audience from policies",
        "canonicals": "select id, canonical_id from documents",
        "mentions": "select document_id, relation, kind, by, value from policy_mentions",
        "section": "select document_id, kind_auto, kind_admin, background, keywords from policy_explainers",
        "pairs": "select id, question, answer, basis_url, status, source, document_id from qa_pairs",
        # a neighbour by its name (the ids of basis, material … nodes hash their names), a policy by its page
        "graph": """select n.id, n.kind, n.name, n.url, n.attrs, e.relation, e.position,
                           case when t.kind = 'policy' then t.id else t.kind || ':' || t.name end
                    from qa_graph_nodes n left join qa_graph_edges e on e.source = n.id
                    left join qa_graph_nodes t on t.id = e.target""",
        "reprojections": "select document_id from document_reprojections",
    }
    key = {"canonicals": "id", "graph": "n.document_id"}
    out = {}
    for name, sql in queries.items():
        column = key.get(name, "document_id")
        rows = await pool.fetch(f"{sql} where {column} = any($1::uuid[])", ids)
        out[name] = sorted(tuple(norm(v) for v in r.values()) for r in rows)
    return out


async def test_a_mixed_batch_leaves_what_one_by_one_leaves(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    """One site takes the batch's documents one at a time, another the same pages in one shuffled batch with
    redeliveries; both end the same, and as a user expects (an explaining page that goes leaves its section:
    that used to break the check that a section's row keeps a kind)."""
    library = PolicyLibrary(pg_pool, bus)
    worlds = {"甲": await make_site(pg_pool, level="市"), "乙": await make_site(pg_pool, level="市")}
    for w, site in worlds.items():
        for ev in await store(pg_pool, before(site, w)):
            await library.handle([ev])

    one, many = worlds["甲"], worlds["乙"]
    for ev in await store(pg_pool, batch(one, "甲")):  # as the runner applies a failed batch: one at a time
        await library.handle([ev])
    events = await store(pg_pool, batch(many, "乙"))
    events += random.Random(5).sample(events, 20)  # redelivered, out of order
    random.Random(7).shuffle(events)
    await library.handle(events)

    expected, got = await state(pg_pool, one, "甲"), await state(pg_pool, many, "乙")
    assert got == expected
    # and it is the library a user expects: the new policy and the copy left alone, now a canonical of its own
    assert [(p[0], p[1]) for p in got["policies"]] == [
        ("zcwj/copy.html", "zcwj/copy.html"),
        ("zcwj/new.html", "zcwj/new.html"),
    ]
    assert ("zcwj/copy.html", "None") in got["canonicals"]
    assert {m[0] for m in got["mentions"]} == {"zcjd/new.html", "xwfbh/new.html"}
    assert [(s[0], s[1]) for s in got["section"]] == [("xwfbh/new.html", "新闻发布会"), ("zcjd/new.html", "文字解读")]
    assert {(p[5], p[4]) for p in got["pairs"]} == {("transcript", "active"), ("guide", "active")}
    assert sum(p[5] == "transcript" for p in got["pairs"]) == 2
    related = [g for g in got["graph"] if g[5] == "related_policy"]
    assert [(g[0], g[7]) for g in related] == [("service:bszn/new.html", "policy:zcwj/new.html")]
    assert got["reprojections"] == []

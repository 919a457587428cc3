"""Policy library through real Postgres and NATS: the consumer, reprints, links, transcripts, guides, GraphQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from core.bus import Bus, DocumentChanged, PageFetched
from core.qa.service import QaService
from tests.integration.graphql import gql, gql_data
from tests.integration.search_fixtures import make_site, running
from tests.polling import eventually
from workers.indexer import Indexer
from workers.policy_library import PolicyLibrary

pytestmark = pytest.mark.integration
TITLE = "示范市失业保险稳岗返还实施办法"
BODY = (
    "各县（市、区）人民政府，市政府各部门：\n为支持企业稳定岗位，减轻企业负担，现就失业保险稳岗返还有关事项通知如下。\n"
    "一、参保企业上年度未裁员或裁员率不高于全国城镇调查失业率控制目标的，可以申请稳岗返还。\n"
    "二、大型企业按企业及其职工上年度实际缴纳失业保险费的30%返还，中小微企业按60%返还。\n"
    "三、返还资金用于职工生活补助、缴纳社会保险费、转岗培训和技能提升培训等支出。\n"
    "本办法自2024年3月1日起施行，有效期3年。"
)


def page(site: str, path: str, title: str, text: str, *, kind: str, meta: dict[str, Any] | None = None,
         gone: bool = False) -> PageFetched:  # fmt: skip
    digest = hashlib.sha256(f"{kind}|{title}|{text}|{meta}|{gone}".encode()).hexdigest()
    return PageFetched(site_id=site, url=f"https://{site}.example.gov.cn/{path}", status=404 if gone else 200,
                       content_hash=digest, fetched_at=datetime.now(UTC).isoformat(), kind=kind, title=title,
                       text=text, meta=meta or {}, gone=gone)  # fmt: skip


async def doc_id(pool: asyncpg.Pool, site: str, path: str) -> str:
    return str(
        await pool.fetchval("select id::text from documents where url = $1", f"https://{site}.example.gov.cn/{path}")
    )


def consumers(pool: asyncpg.Pool, bus: Bus, sites: list[str]) -> list[Any]:
    """The real indexer and policy-library consumer under durable names reading only these sites' events."""
    out: list[Any] = []
    for site in sites:
        indexer, library = Indexer(pool, bus), PolicyLibrary(pool, bus)
        indexer.name, indexer.subject = f"indexer-{site}", f"{PageFetched.SUBJECT}.{site}"
        library.name, library.subject = f"policy-library-{site}", f"{DocumentChanged.SUBJECT}.{site}"
        out += [indexer, library]
    return out


TRANSCRIPT = (
    f"主持人：今天我们邀请市人社局负责同志解读《{TITLE}》。\n"
    "示范日报记者：稳岗返还的资金可以用在哪些方面？\n"
    "张明：\n返还资金用于职工生活补助、缴纳社会保险费、转岗培训和技能提升培训等支出。\n"
    "新华社记者：中小微企业返还比例是多少？\n张明：\n中小微企业按上年度实际缴纳失业保险费的60%返还。\n"
)
GUIDE = (
    "事项名称\n失业保险稳岗返还申领\n申请材料\n营业执照\n《稳岗返还申请表》\n办理地点\n示范市政务服务中心2楼8号窗口\n"
    f"办理时限\n承诺办结时限5个工作日\n收费标准\n不收费\n是否网办\n是\n设定依据：《{TITLE}》。"
)


async def test_consumer_builds_the_library_links_and_pairs(pg_pool: asyncpg.Pool, bus: Bus, api_url: str) -> None:
    city, county = await make_site(pg_pool, level="市"), await make_site(pg_pool)
    meta = {
        "doc_no": "示人社发〔2024〕883号、示财社〔2024〕882号",
        "issuer": "示范市人力资源和社会保障局、示范市财政局",
        "theme": "劳动、人事、监察\\劳动就业",
        "written_date": "2024-02-20",
        "published_date": "2024-02-26",
    }
    interp = f"近日，市人社局、市财政局印发了《{TITLE}》（示人社发〔2024〕883号）。现解读如下。\n一、出台背景……"
    async with running(bus, *consumers(pg_pool, bus, [city, county])):
        # The interpretation and the transcript arrive before the policy they explain.
        await bus.publish(page(city, "zcjd/1.html", f"关于《{TITLE}》的解读", interp, kind="interpretation"))
        await bus.publish(page(city, "xwfbh/1.html", f"市人社局负责人就《{TITLE}》答记者问", TRANSCRIPT, kind="news"))
        await bus.publish(page(city, "zcwj/1.html", TITLE, BODY, kind="policy", meta=meta))
        reprint = f"来源：示范市人民政府网站\n{BODY}\n（转载自示范市人民政府门户网站）"
        reprinted = meta | {"published_date": "2024-03-05"}  # the earliest publication is the canonical one
        await bus.publish(page(county, "zcwj/9.html", TITLE, reprint, kind="policy", meta=reprinted))
        await bus.publish(page(city, "zcwj/2.html", "示范市关于推进中小学校园体育运动的通知",
                               "各中小学要开展校园体育运动和体育赛事，增强学生体质。", kind="policy"))  # fmt: skip
        await bus.publish(page(city, "bszn/1.html", "失业保险稳岗返还申领办事指南", GUIDE, kind="service"))
        policy_id = await eventually(lambda: doc_id(pg_pool, city, "zcwj/1.html"), lambda v: v != "None")
        copy_id = await eventually(lambda: doc_id(pg_pool, county, "zcwj/9.html"), lambda v: v != "None")
        rows = await eventually(
            lambda: pg_pool.fetch(
                "select document_id::text, canonical_id::text from policies where document_id = any($1::uuid[])",
                [policy_id, copy_id],
            ),
            lambda rs: len(rs) == 2 and all(r["canonical_id"] == policy_id for r in rs),
        )
        assert len(rows) == 2
        other = await eventually(
            lambda: pg_pool.fetchrow(
                "select theme, theme_source from policies p join documents d on d.id = "
                "p.document_id where d.url like $1",
                f"%{city}%zcwj/2.html",
            ),
            lambda r: r is not None,
        )
        assert other["theme_source"] == "predicted" and other["theme"]
        qa = QaService(pg_pool)
        reply = await eventually(lambda: qa.ask("办理失业保险稳岗返还申领要带哪些材料"), lambda r: r.qa_id is not None)
        assert reply.qa_id and reply.qa_id.endswith("-materials") and "营业执照" in reply.text
        assert (
            reply.basis is not None
            and reply.basis.kind == "service"
            and reply.basis.url
            and "bszn/1.html" in reply.basis.url
        )

        q = """query($id: ID!) { policy(id: $id) { docNos issuers validity validitySource audience theme themeSource
               writtenDate copies { url } interpretations { title kind matchedBy } qa { question answer }
               relatedServices { title } } }"""  # fmt: skip
        p = (await gql_data(api_url, q, {"id": policy_id}))["policy"]
        assert p["docNos"] == ["示人社发〔2024〕883号", "示财社〔2024〕882号"]
        assert p["issuers"] == ["示范市人力资源和社会保障局", "示范市财政局"] and "企业" in p["audience"]
        assert (p["validity"], p["validitySource"]) == ("有效", "text")  # 有效期3年 from 2024-03-01
        assert (p["theme"], p["themeSource"], p["writtenDate"]) == ("劳动、人事、监察\\劳动就业", "page", "2024-02-20")
        assert [c["url"] for c in p["copies"]] == [f"https://{county}.example.gov.cn/zcwj/9.html"]
        kinds = {i["title"]: (i["kind"], i["matchedBy"]) for i in p["interpretations"]}
        assert kinds == {f"关于《{TITLE}》的解读": ("文字解读", "doc_no"),
                         f"市人社局负责人就《{TITLE}》答记者问": ("新闻发布会", "title")}  # fmt: skip
        assert [x["question"] for x in p["qa"]] == ["稳岗返还的资金可以用在哪些方面？", "中小微企业返还比例是多少？"]
        assert p["relatedServices"] == [{"title": "失业保险稳岗返还申领办事指南"}]

        listing = """query($f: PolicyFilters) { policies(filters: $f) { total items { id } issuers { value count }
                     years { value count } themes { value count } validities { value count } } }"""  # fmt: skip
        one = (await gql_data(api_url, listing, {"f": {"issuer": "示范市财政局"}}))["policies"]
        assert one["total"] == 1 and one["items"] == [{"id": policy_id}]  # the reprint is shown once
        assert {"value": "示范市财政局", "count": 1} in one["issuers"]
        assert one["years"] == [{"value": "2024", "count": 1}] and one["validities"] == [{"value": "有效", "count": 1}]
        wanted = {"f": {"issuer": "示范市财政局", "theme": "劳动、人事、监察"}}
        top = (await gql_data(api_url, listing, wanted))["policies"]
        assert top["total"] == 1

        interp_id = await doc_id(pg_pool, city, "zcjd/1.html")
        m = """mutation($p: ID!, $d: ID!) { unlinkInterpretation(policyId: $p, documentId: $d) { id }
               setPolicyValidity(id: $p, validity: "废止") { validity validitySource } }"""  # fmt: skip
        changed = await gql_data(api_url, m, {"p": policy_id, "d": interp_id})
        assert changed["setPolicyValidity"] == {"validity": "废止", "validitySource": "admin"}
        p = (await gql_data(api_url, q, {"id": policy_id}))["policy"]
        assert [i["kind"] for i in p["interpretations"]] == ["新闻发布会"]
        relink = 'mutation($p: ID!, $d: ID!) { linkInterpretation(policyId: $p, documentId: $d, kind: "图解") { id } }'
        await gql_data(api_url, relink, {"p": policy_id, "d": interp_id})
        p = (await gql_data(api_url, q, {"id": policy_id}))["policy"]
        assert ("图解", "admin") in {(i["kind"], i["matchedBy"]) for i in p["interpretations"]}

        # A redelivered event changes nothing; a gone guide retires its pairs.
        before = await pg_pool.fetchval("select count(*) from qa_pairs where source = 'guide' and status = 'active'")
        await bus.publish(page(city, "bszn/1.html", "", "", kind="service", gone=True))
        await eventually(
            lambda: pg_pool.fetchval("select count(*) from qa_pairs where source = 'guide' and status = 'active'"),
            lambda n: n == before - 5,
        )


async def test_admin_errors_are_typed(api_url: str) -> None:
    query = 'mutation { setPolicyValidity(id: "00000000-0000-0000-0000-000000000000", validity: "过期") { id } }'
    errors = (await gql(api_url, query))["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_INPUT" and "有效" in errors[0]["message"]


async def test_an_id_typed_wrong_is_bad_input_naming_the_argument(api_url: str) -> None:
    """An admin who pastes a URL or a slug where an id goes is told which argument is wrong, not INTERNAL."""
    calls = {
        'mutation { setPolicyValidity(id: "zcwj-1", validity: "失效") { id } }': "id",
        'mutation { linkInterpretation(policyId: "zcwj-1", documentId: "x") { id } }': "policyId",
        'mutation { unlinkInterpretation(policyId: "00000000-0000-0000-0000-000000000000", documentId: "x") { id } }': (
            "documentId"
        ),
        'mutation { addToTopic(slug: "no-such-topic", policyId: "zcwj-1") { slug } }': "policyId",
        'mutation { removeFromTopic(slug: "no-such-topic", policyId: "zcwj-1") { slug } }': "policyId",
        'mutation { setInterpretationKind(documentId: "https://x.gov.cn/1.html", kind: "图解") { kind } }': (
            "documentId"
        ),
        '{ policy(id: "zcwj-1") { id } }': "id",
    }
    for query, argument in calls.items():
        errors = (await gql(api_url, query))["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_INPUT", (query, errors)
        assert errors[0]["message"].startswith(f"{argument} must be a document id (a UUID)"), (query, errors)
    unknown = 'mutation { setPolicyValidity(id: "00000000-0000-0000-0000-000000000000", validity: "失效") { id } }'
    assert (await gql(api_url, unknown))["errors"][0]["extensions"]["code"] == "NOT_FOUND"

"""Policy library, issue 18, through the real consumer, Postgres, NATS and HTTP: 专题, cascading facets, each
site's 解读与回应 section with its content fields and the computed 新旧对比."""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any, cast

import asyncpg
import pytest

from core.bus import Bus
from core.clock import local_date
from core.policy.facets import list_policies
from core.policy.queries import Filters
from core.policy.topics import check_theme
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql, gql_data
from tests.integration.search_fixtures import make_site, running
from tests.integration.test_policy_library import consumers, doc_id, page
from tests.integration.userspace_fixtures import person
from tests.polling import eventually

pytestmark = pytest.mark.integration
RUN = secrets.token_hex(3)
ISSUER = f"示范市人社局{RUN}"
OLD = (
    "第一条 为支持企业稳定岗位，制定本办法。\n第二条 中小微企业按上年度实际缴纳失业保险费的50%返还。\n"
    "第三条 大型企业按30%返还。\n第四条 本办法自2019年1月1日起施行。"
)
NEW = (
    "第一条 为支持企业稳定岗位，制定本办法。\n第二条 中小微企业按上年度实际缴纳失业保险费的60%返还。\n"
    "第三条 大型企业按30%返还。\n第四条 返还资金可用于职工技能提升培训。\n"
    f"第五条 本办法自2024年3月1日起施行，《示范市稳岗返还办法{RUN}》（示人社发〔2019〕5号）同时废止。"
)
CARE = "为提升老年人养老服务水平，对高龄老年人发放养老服务补贴，每月200元。"
INTERP = (
    f"近日，市人社局印发了《示范市稳岗返还实施办法{RUN}》（示人社发〔2024〕7号）。现解读如下。\n"
    "关键词：稳岗返还、中小微企业、技能培训\n一、出台背景\n为落实国家稳就业部署，减轻企业负担，修订原办法。\n"
    "二、新旧对比\n中小微企业返还比例由50%提高到60%，新增技能培训用途。\n"
)
TOPIC_Q = """query($slug: String!) { topic(slug: $slug) { name policyCount rule { keywords }
  policies(pageSize: 10) { total items { id } } } }"""
LIST_Q = """query($f: PolicyFilters) { policies(filters: $f) { total items { id } issuers { value count }
  audiences { value count } topics { value label count } years { value count } } }"""
SECTION_Q = """query($site: String!, $kind: String, $first: Int!, $after: String) {
  interpretations(site: $site, kind: $kind, first: $first, after: $after) {
    endCursor hasNextPage kinds { value count }
    items { id title kind kindSource background keywords statedChanges policies { id }
            changesFromPrevious { matchedBy previous { id } added removed changed { before after } unchanged } } } }"""


@dataclasses.dataclass(frozen=True)
class World:
    url: str
    site: str
    ids: dict[str, str]
    nobody_token: str


def _meta(doc_no: str, published: str, theme: str = "劳动、人事、监察\\劳动就业") -> dict[str, Any]:
    return {"doc_no": doc_no, "issuer": ISSUER, "theme": theme, "published_date": published}


async def _publish(bus: Bus, site: str) -> None:
    await bus.publish(page(site, "zcjd/1.html", f"关于《示范市稳岗返还实施办法{RUN}》的解读", INTERP, kind="news"))
    await bus.publish(page(site, "tujie/2.html", f"一图读懂稳岗返还{RUN}", "（图片）", kind="news"))
    await bus.publish(page(site, "dswz/3.html", f"第三期：人社局长上线{RUN}", "主持人：欢迎收看。", kind="news"))
    await bus.publish(page(site, "xwdt/4.html", f"市领导调研{RUN}", "调研企业生产。", kind="news"))
    old_meta = _meta("示人社发〔2019〕5号", "2019-01-01")
    await bus.publish(page(site, "zcwj/old.html", f"示范市稳岗返还办法{RUN}", OLD, kind="policy", meta=old_meta))
    new_meta = _meta("示人社发〔2024〕7号", "2024-02-26")
    await bus.publish(page(site, "zcwj/new.html", f"示范市稳岗返还实施办法{RUN}", NEW, kind="policy", meta=new_meta))
    care_meta = _meta("示人社发〔2024〕9号", "2024-05-01", theme="民政、扶贫、救灾\\社会福利")
    await bus.publish(
        page(site, "zcwj/care.html", f"示范市高龄老年人补贴办法{RUN}", CARE, kind="policy", meta=care_meta)
    )


@pytest.fixture(scope="module")
async def world(settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> AsyncIterator[World]:
    site = await make_site(pg_pool, level="市")
    async with serve_api(settings) as url:
        async with running(bus, *consumers(pg_pool, bus, [site])):  # the library is built, then the tests read it
            await _publish(bus, site)
            await eventually(
                lambda: gql_data(url, SECTION_Q, {"site": site, "first": 10}),
                lambda d: (
                    len(d["interpretations"]["items"]) == 3
                    and any(i["policies"] for i in d["interpretations"]["items"])
                ),
            )
            await eventually(
                lambda: gql_data(url, LIST_Q, {"f": {"issuer": ISSUER}}), lambda d: d["policies"]["total"] == 3
            )
        paths: tuple[str, ...] = ("zcwj/old.html", "zcwj/new.html", "zcwj/care.html", "zcjd/1.html", "tujie/2.html")
        paths += ("dswz/3.html", "xwdt/4.html")
        ids = {p: await doc_id(pg_pool, site, p) for p in paths}
        nobody = await person(pg_pool, dataclasses.replace(settings, public_url=url), datetime.now(UTC))
        yield World(url, site, ids, nobody.token)


class Counting:
    """The real pool (or one of its connections), counting the statements a call sends."""

    def __init__(self, pool: Any, parent: Counting | None = None) -> None:
        self.pool, self.parent, self.statements = pool, parent, 0

    def _count(self) -> None:
        self.statements += 1
        if self.parent is not None:
            self.parent._count()

    async def fetch(self, *args: Any) -> Any:
        self._count()
        return await self.pool.fetch(*args)

    async def fetchval(self, *args: Any) -> Any:
        self._count()
        return await self.pool.fetchval(*args)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Counting]:
        async with self.pool.acquire() as conn:
            yield Counting(conn, self)

    def transaction(self, **options: Any) -> Any:
        return self.pool.transaction(**options)


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def test_topics_collect_by_rule_and_by_hand(world: World) -> None:
    slug, new, old, care = (
        f"wengang-{RUN}",
        *(world.ids[p] for p in ("zcwj/new.html", "zcwj/old.html", "zcwj/care.html")),
    )
    create = (
        """mutation($slug: String!, $t: TopicInput!) { createTopic(slug: $slug, topic: $t) { slug policyCount } }"""
    )
    topic = {"name": "稳岗返还专题", "coverText": "稳就业", "rule": {"keywords": [f"稳岗返还实施办法{RUN}"]}}
    made = (await gql_data(world.url, create, {"slug": slug, "t": topic}))["createTopic"]
    assert made == {"slug": slug, "policyCount": 1}
    pick = (
        "mutation($s: String!, $p: ID!, $n: Int) { addToTopic(slug: $s, policyId: $p, position: $n) { policyCount } }"
    )
    await gql_data(world.url, pick, {"s": slug, "p": care, "n": 0})
    await gql_data(world.url, pick, {"s": slug, "p": old})
    got = (await gql_data(world.url, TOPIC_Q, {"slug": slug}))["topic"]
    assert got["policies"]["items"] == [{"id": care}, {"id": old}, {"id": new}]  # picks in order, then the rule's
    drop = "mutation($s: String!, $p: ID!) { removeFromTopic(slug: $s, policyId: $p) { policyCount } }"
    assert (await gql_data(world.url, drop, {"s": slug, "p": new}))["removeFromTopic"] == {"policyCount": 2}
    update = "mutation($s: String!, $t: TopicInput!) { updateTopic(slug: $s, topic: $t) { name rule { keywords } } }"
    changed = await gql_data(
        world.url, update, {"s": slug, "t": {"name": "稳岗专题", "rule": {"keywords": ["无此词"]}}}
    )
    assert changed["updateTopic"] == {"name": "稳岗专题", "rule": {"keywords": ["无此词"]}}
    got = (await gql_data(world.url, TOPIC_Q, {"slug": slug}))["topic"]
    assert [i["id"] for i in got["policies"]["items"]] == [care, old] and got["policyCount"] == 2

    assert code_of(await gql(world.url, TOPIC_Q, {"slug": "no-such-topic"})) == "NOT_FOUND"
    assert code_of(await gql(world.url, create, {"slug": slug, "t": topic})) == "CONFLICT"
    assert code_of(await gql(world.url, create, {"slug": "Bad Slug", "t": topic})) == "BAD_INPUT"
    refused = await gql(world.url, create, {"slug": f"x-{RUN}", "t": topic}, token=world.nobody_token)
    assert code_of(refused) == "FORBIDDEN"
    assert code_of(await gql(world.url, drop, {"s": slug, "p": new}, token=world.nobody_token)) == "FORBIDDEN"


async def test_a_rule_that_would_collect_nothing_by_mistake_is_bad_input_naming_the_value(
    world: World, pg_pool: asyncpg.Pool
) -> None:
    create = "mutation($slug: String!, $t: TopicInput!) { createTopic(slug: $slug, topic: $t) { policyCount } }"
    slug = f"bad-rule-{RUN}"
    for rule, says in (
        ({"keywords": ["稳岗返还", ""]}, "topic rule keyword '' is empty"),
        ({"keywords": ["  "]}, "topic rule keyword '  ' is empty"),
        ({"theme": ""}, "topic rule theme '' is empty"),
        ({"theme": "外星事务"}, "unknown theme '外星事务': use a 主题分类 label"),
        ({"theme": "劳动、人事、监察\\外星就业", "issuer": ISSUER}, "unknown theme '劳动、人事、监察\\\\外星就业'"),
    ):
        out = await gql(world.url, create, {"slug": slug, "t": {"name": "有误的专题", "rule": rule}})
        assert code_of(out) == "BAD_INPUT", rule
        assert says in out["errors"][0]["message"], out
    assert code_of(await gql(world.url, TOPIC_Q, {"slug": slug})) == "NOT_FOUND", "nothing was created"
    rule = {"theme": "劳动、人事、监察\\其他", "keywords": [f"稳岗返还实施办法{RUN}"]}  # a label of the taxonomy
    assert (await gql_data(world.url, create, {"slug": slug, "t": {"name": "专题", "rule": rule}}))["createTopic"]
    update = "mutation($s: String!, $t: TopicInput!) { updateTopic(slug: $s, topic: $t) { rule { theme } } }"
    out = await gql(world.url, update, {"s": slug, "t": {"rule": {"theme": "外星事务"}}})
    assert code_of(out) == "BAD_INPUT" and "unknown theme '外星事务'" in out["errors"][0]["message"]
    kept = (await gql_data(world.url, TOPIC_Q, {"slug": slug}))["topic"]["rule"]
    assert kept == {"keywords": [f"稳岗返还实施办法{RUN}"]}, "the rule stays as it was"
    # a site's own label that the library's policies have is a theme a rule may name
    async with pg_pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            care = world.ids["zcwj/care.html"]
            await conn.execute(
                "update policies set theme = $2, theme_top = '本市特色' where document_id = $1::uuid",
                care,
                "本市特色\\为老服务",
            )
            await check_theme(conn, "本市特色\\为老服务")
            await check_theme(conn, "本市特色")
        finally:
            await tx.rollback()


async def test_facets_count_under_the_other_filters(world: World, pg_pool: asyncpg.Pool) -> None:
    slug = f"laoren-{RUN}"
    create = "mutation($slug: String!, $t: TopicInput!) { createTopic(slug: $slug, topic: $t) { policyCount } }"
    rule = {"theme": "民政、扶贫、救灾", "issuer": ISSUER}
    await gql_data(world.url, create, {"slug": slug, "t": {"name": "为老服务", "rule": rule}})
    both = (await gql_data(world.url, LIST_Q, {"f": {"issuer": ISSUER, "audience": "老年人"}}))["policies"]
    assert both["items"] == [{"id": world.ids["zcwj/care.html"]}]
    # audience counted without its own filter (all three of the issuer), topics within issuer and audience
    assert {"value": "老年人", "count": 1} in both["audiences"] and {"value": "企业", "count": 2} in both["audiences"]
    assert {"value": slug, "label": "为老服务", "count": 1} in both["topics"]
    assert {"value": ISSUER, "count": 1} in both["issuers"]  # other modules' policies for 老年人 count here too
    in_topic = (await gql_data(world.url, LIST_Q, {"f": {"topic": slug, "audience": "老年人"}}))["policies"]
    assert in_topic["issuers"] == [{"value": ISSUER, "count": 1}], "issuers counted within the topic and audience"
    by_topic = (await gql_data(world.url, LIST_Q, {"f": {"topic": slug, "issuer": ISSUER}}))["policies"]
    assert by_topic["total"] == 1 and by_topic["years"] == [{"value": "2024", "count": 1}]
    recent = {"issuer": ISSUER, "publishedFrom": "2024-01-01", "publishedTo": "2024-03-31"}
    assert (await gql_data(world.url, LIST_Q, {"f": recent}))["policies"]["items"] == [
        {"id": world.ids["zcwj/new.html"]}
    ]
    counting = Counting(pg_pool)
    filters = Filters(issuer=ISSUER, topic=slug, audience="老年人", published_from=date(2024, 1, 1))
    page = await list_policies(cast(asyncpg.Pool, counting), filters, today=date(2024, 6, 1))  # a pool that counts
    assert page.total == 1 and len(page.counts["topic"]) >= 1
    assert counting.statements == 3  # the topic's id, the page, and the total with every facet's counts
    inverted = {"publishedFrom": "2024-03-31", "publishedTo": "2024-01-01"}
    assert code_of(await gql(world.url, LIST_Q, {"f": inverted})) == "BAD_INPUT"
    assert code_of(await gql(world.url, LIST_Q, {"f": {"topic": "no-such-topic"}})) == "NOT_FOUND"
    assert code_of(await gql(world.url, LIST_Q, {"f": {"audience": "外星人"}})) == "BAD_INPUT"


async def test_a_year_out_of_range_is_bad_input_naming_the_range(world: World) -> None:
    next_year = local_date(datetime.now(UTC)).year + 1
    for year in (1800, 1899, next_year + 1, -1):
        out = await gql(world.url, LIST_Q, {"f": {"year": year}})
        assert code_of(out) == "BAD_INPUT", year
        assert f"year must be between 1900 and {next_year}, not {year}" in out["errors"][0]["message"]
    found = (await gql_data(world.url, LIST_Q, {"f": {"year": 2024, "issuer": ISSUER}}))["policies"]
    assert found["total"] == 2
    for year in (1900, next_year):  # the range's ends are years a policy may have
        assert "errors" not in await gql(world.url, LIST_Q, {"f": {"year": year}}), year


async def test_the_sites_section_with_content_and_computed_changes(world: World) -> None:
    section = (await gql_data(world.url, SECTION_Q, {"site": world.site, "first": 10}))["interpretations"]
    kinds = {i["title"]: (i["kind"], i["kindSource"]) for i in section["items"]}
    assert kinds == {
        f"关于《示范市稳岗返还实施办法{RUN}》的解读": ("文字解读", "auto"),
        f"一图读懂稳岗返还{RUN}": ("图解", "auto"),
        f"第三期：人社局长上线{RUN}": ("电视问政", "auto"),  # by its column's path, dswz
    }
    text = next(i for i in section["items"] if i["kind"] == "文字解读")
    assert text["keywords"] == ["稳岗返还", "中小微企业", "技能培训"]
    assert text["background"].startswith("为落实国家稳就业部署") and "60%" in text["statedChanges"]
    assert text["policies"] == [{"id": world.ids["zcwj/new.html"]}]
    changes = text["changesFromPrevious"]
    assert changes["matchedBy"] == "doc_no" and changes["previous"] == {"id": world.ids["zcwj/old.html"]}
    assert {
        "before": "第二条 中小微企业按上年度实际缴纳失业保险费的50%返还。",
        "after": "第二条 中小微企业按上年度实际缴纳失业保险费的60%返还。",
    } in changes["changed"]
    assert changes["added"][0] == "第四条 返还资金可用于职工技能提升培训。" and changes["unchanged"] == 2
    assert changes["removed"] == ["第四条 本办法自2019年1月1日起施行。"]

    first = (await gql_data(world.url, SECTION_Q, {"site": world.site, "first": 2}))["interpretations"]
    assert first["hasNextPage"] and len(first["items"]) == 2
    after = {"site": world.site, "first": 2, "after": first["endCursor"]}
    rest = (await gql_data(world.url, SECTION_Q, after))["interpretations"]
    assert not rest["hasNextPage"] and len(rest["items"]) == 1
    assert {i["id"] for i in first["items"] + rest["items"]} == {i["id"] for i in section["items"]}
    # a cursor continues the list it came from: the section of one kind is another list (it was read as a position)
    wrong = await gql(world.url, SECTION_Q, after | {"kind": "图解"})
    made_for, used_for = f"interpretations(site: {world.site})", f"interpretations(site: {world.site}, kind: 图解)"
    assert code_of(wrong) == "BAD_INPUT", wrong
    assert f"a cursor of {made_for}, not of {used_for}" in wrong["errors"][0]["message"]

    set_kind = "mutation($d: ID!, $k: String) { setInterpretationKind(documentId: $d, kind: $k) { kind kindSource } }"
    tujie = world.ids["tujie/2.html"]
    assert (await gql_data(world.url, set_kind, {"d": tujie, "k": "视频解读"}))["setInterpretationKind"] == {
        "kind": "视频解读",
        "kindSource": "admin",
    }
    videos = {"site": world.site, "kind": "视频解读", "first": 5}
    assert [i["id"] for i in (await gql_data(world.url, SECTION_Q, videos))["interpretations"]["items"]] == [tujie]
    back = (await gql_data(world.url, set_kind, {"d": tujie, "k": None}))["setInterpretationKind"]
    assert back == {"kind": "图解", "kindSource": "auto"}

    # a page that explains nothing by itself joins the section by the admin's kind alone, and leaves it when the
    # kind is cleared (this answered INTERNAL: the admin's kind was nulled before the row went, breaking its check)
    plain = world.ids["xwdt/4.html"]
    joined = (await gql_data(world.url, set_kind, {"d": plain, "k": "热点回应"}))["setInterpretationKind"]
    assert joined == {"kind": "热点回应", "kindSource": "admin"}
    assert (await gql_data(world.url, set_kind, {"d": plain, "k": None}))["setInterpretationKind"] is None
    answers = {"site": world.site, "kind": "热点回应", "first": 5}
    assert plain not in [i["id"] for i in (await gql_data(world.url, SECTION_Q, answers))["interpretations"]["items"]]

    # the admin's kind is also what the policy shows for the page
    await gql_data(world.url, set_kind, {"d": world.ids["zcjd/1.html"], "k": "媒体解读"})
    shown = "query($id: ID!) { policy(id: $id) { interpretations { kind matchedBy } } }"
    policy = (await gql_data(world.url, shown, {"id": world.ids["zcwj/new.html"]}))["policy"]
    assert policy["interpretations"] == [{"kind": "媒体解读", "matchedBy": "doc_no"}]

    assert code_of(await gql(world.url, set_kind, {"d": tujie, "k": "漫画"})) == "BAD_INPUT"
    assert code_of(await gql(world.url, SECTION_Q, {"site": world.site, "kind": "漫画", "first": 5})) == "BAD_INPUT"
    assert code_of(await gql(world.url, SECTION_Q, {"site": world.site, "first": 5, "after": "x"})) == "BAD_INPUT"
    assert code_of(await gql(world.url, SECTION_Q, {"site": f"none-{RUN}", "first": 5})) == "NOT_FOUND"
    refused = await gql(world.url, set_kind, {"d": tujie, "k": "图解"}, token=world.nobody_token)
    assert code_of(refused) == "FORBIDDEN"

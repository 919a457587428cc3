"""Grassroots disclosure end to end over HTTP and websockets: units and their pages, editors of a unit (real
access tokens) writing, revising and publishing, vouchers uploaded and downloaded, fund projects with spending,
roll-ups at every level, the admin import, and `disclosureUpdates(unit)` live from NATS."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.disclosure import site_id_of
from core.identity.roles import grant_role
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.disclosure_fixtures import load_tree
from tests.integration.graphql import first_data, gql, gql_data
from tests.integration.userspace_fixtures import Person, person

pytestmark = pytest.mark.integration

C, D1, T1 = "330300000000", "330302000000", "330302001000"
V1, V2, V4 = "330302001201", "330302001202", "330305001001"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

UNIT = """query($code: String!) { unit(code: $code) { code name level site parent { code level }
  children { total items { code name } } boards { name categories { category count } }
  items(pageSize: 5) { total items { title revision status } }
  funds { total items { name stage amount } }
  rollup { items itemsByCategory { board category count } funds { count amount spent }
           fundsByStage { key count amount } } } }"""
CREATE = """mutation($unit: String!, $item: DisclosureItemInput!, $publish: Boolean) {
  createDisclosureItem(unit: $unit, item: $item, publish: $publish) { id unit status revision attachments { url } } }"""
EDIT = """mutation($unit: String!, $id: ID!, $item: DisclosureItemInput!, $reason: String) {
  editDisclosureItem(unit: $unit, id: $id, item: $item, reason: $reason) {
    revision body revisions { revision body reason editedBy } } }"""
UPLOAD = """mutation($unit: String!, $name: String!, $content: String!) {
  uploadVoucher(unit: $unit, name: $name, contentBase64: $content) { sha256 mediaType size url } }"""
SAVE_FUND = """mutation($unit: String!, $project: FundProjectInput!) {
  saveFundProject(unit: $unit, project: $project) { id stage amount } }"""
SPEND = """mutation($unit: String!, $id: ID!, $spending: SpendingInput!) {
  addFundSpending(unit: $unit, id: $id, spending: $spending) { amount vouchers { sha256 } } }"""
FUND = """query($id: ID!) { fundProject(id: $id) { name spent stages { stage enteredOn }
  spending { amount payee vouchers { name mediaType url } } } }"""
IMPORT = """mutation($name: String!, $content: String!, $unit: String) {
  importDisclosure(fileName: $name, contentBase64: $content, unit: $unit) {
    kind encoding rows created errors { line reason } } }"""
STAGED = """query($code: String!, $stage: String) { unit(code: $code) {
  funds(stage: $stage) { total items { name } } } }"""
UPDATES = "subscription($unit: String!) { disclosureUpdates(unit: $unit) { unit title status } }"


@dataclasses.dataclass(frozen=True)
class World:
    url: str
    editor: Person  # an editor of V1's site
    settings: Settings


@pytest.fixture(scope="module")
async def world(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[World]:
    await load_tree(pg_pool, "3303")
    async with serve_api(settings) as url:
        issued = dataclasses.replace(settings, public_url=url)
        editor = await person(pg_pool, issued, datetime.now(UTC))
        await grant_role(pool=pg_pool, user_id=editor.user_id, role="editor", site_id=site_id_of(V1))
        yield World(url, editor, issued)


def item(title: str, **extra: Any) -> dict[str, Any]:
    return {"category": "财务", "period": "2024-05", "dated": "2024-05-20", "title": title, "body": "收支", **extra}


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def test_an_editor_writes_revises_and_the_unit_page_and_rollups_show_it(world: World) -> None:
    token = world.editor.token
    made = await gql(world.url, CREATE, {"unit": V1, "item": item("五月收支")}, token=token)
    assert made["data"]["createDisclosureItem"]["status"] == "published", made
    item_id = made["data"]["createDisclosureItem"]["id"]
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{world.url}/disclosure/items/{item_id}") as r:
            assert r.status == 200 and "五月收支" in await r.text()
        async with s.get(f"{world.url}/disclosure/items/{uuid.uuid4()}") as r:
            assert r.status == 404
    assert code_of(await gql(world.url, CREATE, {"unit": V2, "item": item("x")}, token=token)) == "FORBIDDEN"
    assert code_of(await gql(world.url, CREATE, {"unit": V1, "item": item("x")}, token=None)) == "UNAUTHENTICATED"
    late = item("x", dated="2024-06-01")
    assert code_of(await gql(world.url, CREATE, {"unit": V1, "item": late}, token=token)) == "BAD_INPUT"

    changed = item("五月收支", body="收支（更正）")
    variables = {"unit": V1, "id": item_id, "item": changed}
    assert code_of(await gql(world.url, EDIT, variables, token=token)) == "BAD_INPUT"  # published: a reason
    edited = (await gql(world.url, EDIT, {**variables, "reason": "金额更正"}, token=token))["data"][
        "editDisclosureItem"
    ]
    assert edited["revision"] == 2
    assert [(r["revision"], r["reason"]) for r in edited["revisions"]] == [(2, "金额更正"), (1, "")]
    assert edited["revisions"][0]["editedBy"] == world.editor.username
    rekeyed = {**variables, "item": {**changed, "externalId": "X-9"}, "reason": "改编号"}  # it keys the item in imports
    wrong = await gql(world.url, EDIT, rekeyed, token=token)
    assert code_of(wrong) == "BAD_INPUT" and "externalId cannot change in an edit" in wrong["errors"][0]["message"]

    page = (await gql_data(world.url, UNIT, {"code": T1}))["unit"]
    assert (page["level"], page["parent"], page["site"]) == ("乡镇街道", {"code": D1, "level": "区县"}, site_id_of(T1))
    assert [c["code"] for c in page["children"]["items"]] == [V1, V2]
    assert [b["name"] for b in page["boards"]][:2] == ["政策法规", "基层公开"]
    assert page["rollup"]["items"] == 1 and page["items"]["total"] == 0  # its own page: the township's items
    assert page["rollup"]["itemsByCategory"] == [{"board": "基层公开", "category": "财务", "count": 1}]
    village = (await gql_data(world.url, UNIT, {"code": V1}))["unit"]
    assert village["items"]["items"] == [{"title": "五月收支", "revision": 2, "status": "published"}]
    top = await gql_data(world.url, "query($p: String) { units(parent: $p) { items { code } } }", {"p": C})
    assert [u["code"] for u in top["units"]["items"]] == [D1, "330305000000"]
    assert code_of(await gql(world.url, UNIT, {"code": "3303"})) == "BAD_INPUT"
    assert code_of(await gql(world.url, UNIT, {"code": "330399000000"})) == "NOT_FOUND"


async def test_vouchers_fund_projects_and_spending_with_rollups_up_to_the_city(world: World) -> None:
    token = world.editor.token
    upload = {"unit": V1, "name": "发票.pdf", "content": base64.b64encode(PDF).decode()}
    voucher = (await gql(world.url, UPLOAD, upload, token=token))["data"]["uploadVoucher"]
    assert (voucher["sha256"], voucher["mediaType"]) == (hashlib.sha256(PDF).hexdigest(), "application/pdf")
    fake = {**upload, "content": base64.b64encode(b"<html>").decode()}
    assert code_of(await gql(world.url, UPLOAD, fake, token=token)) == "BAD_INPUT"
    async with aiohttp.ClientSession() as s, s.get(world.url + voucher["url"]) as r:
        assert (r.status, r.headers["content-type"], await r.read()) == (200, "application/pdf", PDF)

    project = {"name": "道路硬化", "category": "基础设施", "source": "区", "amount": "100000", "year": 2024}
    saved = (await gql(world.url, SAVE_FUND, {"unit": V1, "project": project}, token=token))["data"]
    fund_id = saved["saveFundProject"]["id"]
    spending = {"amount": "25000.50", "spentOn": "2024-05-02", "payee": "施工队", "vouchers": [voucher["sha256"]]}
    paid = await gql(world.url, SPEND, {"unit": V1, "id": fund_id, "spending": spending}, token=token)
    assert paid["data"]["addFundSpending"]["vouchers"] == [{"sha256": voucher["sha256"]}]
    for day, says in ((date.today() + timedelta(days=2), "after today"), (date(1999, 5, 2), "before 2000")):
        dated = {"unit": V1, "id": fund_id, "spending": {**spending, "spentOn": str(day)}}
        wrong = await gql(world.url, SPEND, dated, token=token)
        assert code_of(wrong) == "BAD_INPUT" and says in wrong["errors"][0]["message"], day
    negative = {**project, "amount": "-1"}
    assert code_of(await gql(world.url, SAVE_FUND, {"unit": V1, "project": negative}, token=token)) == "BAD_INPUT"
    found = (await gql_data(world.url, FUND, {"id": fund_id}))["fundProject"]
    assert found["spent"] == "25000.50" and found["stages"][0]["stage"] == "立项"
    assert found["spending"][0]["vouchers"][0]["name"] == "发票.pdf"
    for code in (V1, T1, D1, C):
        page = (await gql_data(world.url, UNIT, {"code": code}))["unit"]
        rollup = page["rollup"]
        assert rollup["funds"] == {"count": 1, "amount": "100000.00", "spent": "25000.50"}, code
        assert rollup["fundsByStage"][0] == {"key": "立项", "count": 1, "amount": "100000.00"}
        assert page["funds"] == {"total": 1, "items": [{"name": "道路硬化", "stage": "立项", "amount": "100000.00"}]}
        for stage, total in (("立项", 1), ("结算", 0)):  # the list's total follows its stage filter
            staged = (await gql_data(world.url, STAGED, {"code": code, "stage": stage}))["unit"]["funds"]
            assert (staged["total"], len(staged["items"])) == (total, total), (code, stage)
    assert code_of(await gql(world.url, STAGED, {"code": C, "stage": "开工"})) == "BAD_INPUT"


async def test_the_admin_import_reports_rows_and_editors_may_not_call_it(world: World) -> None:
    text = (
        "外部编号,单位代码,类别,期间,日期,标题\nk1,%s,党务,2024Q2,2024-04-02,党员大会\nk2,%s,党务,2024Q2,2024-04-02,x\n"
    )
    content = base64.b64encode((text % (V2, V4)).encode("gbk")).decode()
    variables = {"name": "items.csv", "content": content, "unit": D1}
    result = (await gql_data(world.url, IMPORT, variables))["importDisclosure"]
    assert (result["kind"], result["encoding"], result["created"]) == ("items", "gb18030", 1)
    assert result["errors"] == [{"line": 3, "reason": f"unit {V4} is not under {D1}, the unit this import is for"}]
    assert code_of(await gql(world.url, IMPORT, variables, token=world.editor.token)) == "FORBIDDEN"


async def test_subscribers_of_a_township_get_the_items_of_its_villages_live(world: World) -> None:
    counter = itertools.count()

    async def publish_in_village() -> None:
        variables = {"unit": V1, "item": item(f"实时公开{next(counter)}")}
        assert not (await gql(world.url, CREATE, variables, token=world.editor.token)).get("errors")

    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{world.url}/graphql", protocols=["graphql-transport-ws"])
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        subscribe = {"query": UPDATES, "variables": {"unit": T1}}
        await ws.send_json({"id": "1", "type": "subscribe", "payload": subscribe})
        got = (await first_data(ws, publish_in_village))["disclosureUpdates"]
        assert got["unit"] == V1 and got["title"].startswith("实时公开") and got["status"] == "published"
        await ws.close()


async def test_freshness_and_requests_over_graphql(world: World) -> None:
    fresh = """query($code: String!) { unit(code: $code) { freshness { category stale } }
      staleDisclosures(unit: $code) { total items { unit category daysSince } } }"""
    found = await gql_data(world.url, fresh, {"code": T1})
    assert {f["category"] for f in found["unit"]["freshness"]} == {"财务", "村(居)务", "党务", "政务"}
    assert (V2, "财务") in {(f["unit"], f["category"]) for f in found["staleDisclosures"]["items"]}
    submit = """mutation($unit: String!) {
      submitDisclosureRequest(unit: $unit, subject: "村道资金", body: "请公开明细") {
        id unit dueOn status extended } }"""
    assert code_of(await gql(world.url, submit, {"unit": V1}, token=None)) == "UNAUTHENTICATED"
    asked = (await gql(world.url, submit, {"unit": V1}, token=world.editor.token))["data"]["submitDisclosureRequest"]
    assert (asked["unit"], asked["status"], asked["extended"]) == (V1, "open", False)
    answer = """mutation($unit: String!, $id: ID!) { answerDisclosureRequest(unit: $unit, id: $id, answer: "见附件") {
      status answer } }"""
    done = await gql(world.url, answer, {"unit": V1, "id": asked["id"]}, token=world.editor.token)
    assert done["data"]["answerDisclosureRequest"] == {"status": "answered", "answer": "见附件"}
    stats = await gql_data(
        world.url, "query($u: String!) { disclosureRequestStats(unit: $u) { total open } }", {"u": C}
    )
    assert stats["disclosureRequestStats"] == {"total": 1, "open": 0}


async def test_a_vote_over_graphql(world: World) -> None:
    create = """mutation($unit: String!, $closes: DateTime!) { createDisclosureVote(unit: $unit, title: "年度评议",
      options: ["满意", "不满意"], closesAt: $closes) { id open total } }"""
    closes = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    made = (await gql(world.url, create, {"unit": V1, "closes": closes}, token=world.editor.token))["data"]
    vote_id = made["createDisclosureVote"]["id"]
    assert code_of(await gql(world.url, create, {"unit": V2, "closes": closes}, token=world.editor.token)) == (
        "FORBIDDEN"
    )
    cast = """mutation($id: ID!) { castDisclosureVote(id: $id, option: "满意") { total results { option count } } }"""
    assert code_of(await gql(world.url, cast, {"id": vote_id}, token=None)) == "UNAUTHENTICATED"
    voted = (await gql(world.url, cast, {"id": vote_id}, token=world.editor.token))["data"]["castDisclosureVote"]
    assert voted["results"] == [{"option": "满意", "count": 1}, {"option": "不满意", "count": 0}]
    assert code_of(await gql(world.url, cast, {"id": vote_id}, token=world.editor.token)) == "CONFLICT"
    naive = await gql(world.url, create, {"unit": V1, "closes": "2099-01-01T00:00:00"}, token=world.editor.token)
    assert code_of(naive) == "BAD_INPUT" and "time zone" in naive["errors"][0]["message"]  # not INTERNAL
    years = await gql(world.url, create, {"unit": V1, "closes": "9999-01-01T00:00:00+08:00"}, token=world.editor.token)
    assert code_of(years) == "BAD_INPUT" and "a vote closes within a year" in years["errors"][0]["message"]


async def test_a_project_read_again_after_a_payment_in_one_request_shows_it(world: World) -> None:
    """`spent` and `spending` come from a DataLoader that keeps what it read for the request: a mutation document
    reading a project, recording a payment and reading the project again showed the second read without it."""
    token = world.editor.token
    project = {"name": "村口便桥", "category": "基础设施", "source": "镇", "amount": "8000", "year": 2024}
    fund_id = (await gql(world.url, SAVE_FUND, {"unit": V1, "project": project}, token=token))["data"][
        "saveFundProject"
    ]["id"]
    read_pay_read = """mutation($unit: String!, $id: ID!, $project: FundProjectInput!, $spending: SpendingInput!) {
      before: saveFundProject(unit: $unit, project: $project, id: $id) { spent spending { amount } }
      paid: addFundSpending(unit: $unit, id: $id, spending: $spending) { amount }
      after: saveFundProject(unit: $unit, project: $project, id: $id) { spent spending { amount } } }"""
    spending = {"amount": "1200", "spentOn": "2024-05-02", "payee": "施工队"}
    variables = {"unit": V1, "id": fund_id, "project": project, "spending": spending}
    body = await gql(world.url, read_pay_read, variables, token=token)
    assert not body.get("errors"), body
    before, after = body["data"]["before"], body["data"]["after"]
    assert (Decimal(before["spent"]), before["spending"]) == (0, [])
    assert Decimal(after["spent"]) == 1200 and [Decimal(s["amount"]) for s in after["spending"]] == [1200], after


async def test_a_fund_project_s_stages_only_move_on_and_in_order_of_time(world: World) -> None:
    """Correcting a project's name keeps its stage, and no stage reads as reached before the one it followed."""
    token, today = world.editor.token, date.today()
    project = {"name": "村道亮化", "category": "基础设施", "source": "镇", "amount": "5000", "year": 2024}
    fund_id = (await gql(world.url, SAVE_FUND, {"unit": V1, "project": project}, token=token))["data"][
        "saveFundProject"
    ]["id"]
    move = """mutation($unit: String!, $id: ID!, $stage: String!, $on: Date) {
      moveFundStage(unit: $unit, id: $id, stage: $stage, on: $on) { stage } }"""
    variables = {"unit": V1, "id": fund_id, "stage": "公示"}
    before = await gql(world.url, move, {**variables, "on": str(today - timedelta(days=30))}, token=token)
    assert code_of(before) == "BAD_INPUT" and "cannot move on to 公示 earlier" in before["errors"][0]["message"]
    future = await gql(world.url, move, {**variables, "on": str(today + timedelta(days=30))}, token=token)
    assert code_of(future) == "BAD_INPUT" and "after today" in future["errors"][0]["message"]
    moved = await gql(world.url, move, {**variables, "stage": "实施"}, token=token)
    assert moved["data"]["moveFundStage"] == {"stage": "实施"}, moved

    change = """mutation($unit: String!, $project: FundProjectInput!, $id: ID) {
      saveFundProject(unit: $unit, project: $project, id: $id) { stage } }"""
    renamed = {**project, "name": "村道路灯亮化"}  # no stage given: the project keeps 实施
    saved = await gql(world.url, change, {"unit": V1, "project": renamed, "id": fund_id}, token=token)
    assert saved["data"]["saveFundProject"]["stage"] == "实施", saved
    back = await gql(
        world.url, change, {"unit": V1, "project": {**renamed, "stage": "立项"}, "id": fund_id}, token=token
    )
    assert code_of(back) == "BAD_INPUT" and "stages only move on" in back["errors"][0]["message"]
    found = (await gql_data(world.url, FUND, {"id": fund_id}))["fundProject"]
    assert [s["stage"] for s in found["stages"]] == ["立项", "实施"] and found["name"] == "村道路灯亮化"
    days = [s["enteredOn"] for s in found["stages"]]
    assert days == sorted(days)


async def test_an_amount_too_large_for_its_cents_is_a_row_error_not_internal(world: World) -> None:
    """1e30 (a spreadsheet's way of writing a typo) is refused as too large; the file's other rows are imported."""
    text = (
        f"外部编号,单位代码,类型,名称,面积,价值\nhuge-1,{V1},资源,河滩地,1e30,\nok-1,{V1},资产,村委会办公楼,,350000\n"
    )
    variables = {"name": "assets.csv", "content": base64.b64encode(text.encode()).decode(), "unit": V1}
    result = (await gql_data(world.url, IMPORT, variables))["importDisclosure"]
    assert (result["kind"], result["created"]) == ("assets", 1), result
    assert result["errors"] == [{"line": 2, "reason": "area 1e30 is too large"}]
    project = {"name": "路灯", "category": "基础设施", "source": "区", "amount": "1e30", "year": 2024}
    saved = await gql(world.url, SAVE_FUND, {"unit": V1, "project": project}, token=world.editor.token)
    assert code_of(saved) == "BAD_INPUT" and "too large" in saved["errors"][0]["message"]


async def test_saving_a_project_again_by_its_external_id_changes_it_once_and_only_in_its_unit(world: World) -> None:
    """A form sent twice (or twice at once) with the same external id is one project, counted once; an editor of
    one village cannot take over another village's project by naming its external id."""
    rollup = "query($code: String!) { unit(code: $code) { rollup { funds { count amount } } } }"
    before = (await gql_data(world.url, rollup, {"code": T1}))["unit"]["rollup"]["funds"]
    project = {"name": "文化广场", "category": "公共服务", "source": "镇", "amount": "8000", "year": 2024}
    mine: dict[str, Any] = {"unit": V1, "project": {**project, "externalId": "ext-square"}}
    sent = await asyncio.gather(*(gql(world.url, SAVE_FUND, mine, token=world.editor.token) for _ in range(3)))
    ids = {body["data"]["saveFundProject"]["id"] for body in sent if body.get("data")}
    assert len(ids) == 1 and all(body.get("data") or code_of(body) == "CONFLICT" for body in sent), sent
    again = await gql(
        world.url, SAVE_FUND, {"unit": V1, "project": {**mine["project"], "amount": "9000"}}, token=world.editor.token
    )
    assert again["data"]["saveFundProject"]["id"] in ids and again["data"]["saveFundProject"]["amount"] == "9000.00"
    after = (await gql_data(world.url, rollup, {"code": T1}))["unit"]["rollup"]["funds"]
    assert after["count"] == before["count"] + 1
    assert Decimal(after["amount"]) == Decimal(before["amount"]) + 9000

    theirs = {"unit": V2, "project": {**project, "name": "二村水渠", "externalId": "ext-canal"}}
    canal = (await gql_data(world.url, SAVE_FUND, theirs))["saveFundProject"]
    taken = {"unit": V1, "project": {**project, "externalId": "ext-canal"}}
    assert code_of(await gql(world.url, SAVE_FUND, taken, token=world.editor.token)) == "FORBIDDEN"
    kept = (await gql_data(world.url, FUND, {"id": canal["id"]}))["fundProject"]
    assert kept["name"] == "二村水渠"
    v2 = (await gql_data(world.url, rollup, {"code": V2}))["unit"]["rollup"]["funds"]
    assert v2["count"] == 1


async def test_an_item_sent_twice_is_conflict_naming_it_until_it_is_withdrawn(world: World) -> None:
    """A form sent twice (or twice at once) would show the public one notice twice; a withdrawn notice may be
    written anew, and another text is another item."""
    token, title = world.editor.token, f"六月收支{uuid.uuid4().hex[:6]}"
    count = "query($code: String!) { unit(code: $code) { items(pageSize: 1) { total } } }"
    before = (await gql_data(world.url, count, {"code": V1}))["unit"]["items"]["total"]
    sent: dict[str, Any] = {"unit": V1, "item": item(title, period="2024-06", dated="2024-06-30")}
    first = (await gql(world.url, CREATE, sent, token=token))["data"]["createDisclosureItem"]["id"]
    twice = await gql(world.url, CREATE, sent, token=token)
    assert code_of(twice) == "CONFLICT" and f"as item {first} (published): edit it" in twice["errors"][0]["message"]
    draft = {"unit": V1, "item": item(f"{title}草稿", period="2024-06", dated="2024-06-30"), "publish": False}
    both = await asyncio.gather(*(gql(world.url, CREATE, draft, token=token) for _ in range(2)))
    assert sorted("made" if body.get("data") else code_of(body) for body in both) == ["CONFLICT", "made"], both
    other = await gql(world.url, CREATE, {"unit": V1, "item": {**sent["item"], "body": "收支（含补贴）"}}, token=token)
    assert other["data"]["createDisclosureItem"]["id"] != first
    assert (await gql_data(world.url, count, {"code": V1}))["unit"]["items"]["total"] == before + 2

    withdraw = """mutation($unit: String!, $id: ID!) { publishDisclosureItem(unit: $unit, id: $id, publish: false) {
      status } }"""
    assert (await gql(world.url, withdraw, {"unit": V1, "id": first}, token=token))["data"]
    anew = (await gql(world.url, CREATE, sent, token=token))["data"]["createDisclosureItem"]
    assert anew["id"] != first and anew["status"] == "published"

    keyed = {"unit": V1, "item": {**item(f"{title}台账"), "externalId": f"ext-{title}"}}
    held = (await gql(world.url, CREATE, keyed, token=token))["data"]["createDisclosureItem"]["id"]
    clash = {"unit": V1, "item": {**item(f"{title}另一条"), "externalId": f"ext-{title}"}}
    taken = await gql(world.url, CREATE, clash, token=token)  # an id an import keys by: the item holding it named
    assert code_of(taken) == "CONFLICT" and f"(item {held}, published)" in taken["errors"][0]["message"]

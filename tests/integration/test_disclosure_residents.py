"""Disclosure for residents over HTTP with real tokens and the real consumer: subscriptions to a unit or a board,
notifications in `me` (once per revision, under redelivery, and after a crash between commit and publish),
services, hotlines and mailboxes of a unit, complaints routed to the unit above, fund projects in search, and the
subtree count of `items(below: true)` from the roll-ups."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core import disclosure as dx
from core.bus import Bus, DisclosurePublished, disclosure_subject
from core.disclosure import notices
from core.disclosure.models import Notice
from core.disclosure.subtree_store import subtree_page
from core.identity.roles import grant_role
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.disclosure_fixtures import load_tree
from tests.integration.graphql import gql
from tests.integration.search_fixtures import running, site_consumers, site_hits
from tests.integration.userspace_fixtures import Person, person
from tests.polling import eventually
from workers.disclosure_notify import DisclosureNotify

pytestmark = pytest.mark.integration

C, D1, T1 = "339200000000", "339202000000", "339202001000"
V1, V2, V4 = "339202001201", "339202001202", "339205001001"
SUBSCRIBE = """mutation($unit: String!, $board: String) {
  subscribeDisclosure(unit: $unit, board: $board) { unit unitName board } }"""
CREATE = """mutation($unit: String!, $item: DisclosureItemInput!) {
  createDisclosureItem(unit: $unit, item: $item) { id revision } }"""
EDIT = """mutation($unit: String!, $id: ID!, $item: DisclosureItemInput!) {
  editDisclosureItem(unit: $unit, id: $id, item: $item, reason: "更正") { revision } }"""
ME = """{ me { disclosureSubscriptions { unit board }
  disclosureNotifications { total items { item revision change unit board title channel deliveredAt } } } }"""
BELOW = """query($unit: String!, $category: String, $period: String) {
  disclosureItems(filters: {unit: $unit, category: $category, period: $period}) { total } }"""


@dataclasses.dataclass(frozen=True)
class World:
    url: str
    editor: Person
    residents: list[Person]


@pytest.fixture(scope="module")
async def world(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[World]:
    await load_tree(pg_pool, "3392")
    async with serve_api(settings) as url:
        now, settings = datetime.now(UTC), dataclasses.replace(settings, public_url=url)
        editor = await person(pg_pool, settings, now)
        await grant_role(pool=pg_pool, user_id=editor.user_id, role="editor", site_id=dx.site_id_of(V1))
        residents = [await person(pg_pool, settings, now, name=n) for n in ("李四", "王五", "赵六")]
        yield World(url, editor, residents)


def item(title: str, **extra: Any) -> dict[str, Any]:
    return {"category": "财务", "period": "2024-05", "dated": "2024-05-20", "title": title, "body": "收支", **extra}


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def mine(world: World, who: Person) -> dict[str, Any]:
    body = await gql(world.url, ME, token=who.token)
    assert not body.get("errors"), body
    return dict(body["data"]["me"])


def both_delivered(me: dict[str, Any]) -> bool:
    """Two notifications, each handed over (a row is made, then delivered in a transaction of its own)."""
    shown = me["disclosureNotifications"]
    return bool(shown["total"] == 2 and all(n["deliveredAt"] for n in shown["items"]))


def notifier(pool: asyncpg.Pool, bus: Bus) -> DisclosureNotify:
    """The real consumer under a durable of its own that reads only this module's city."""
    consumer = DisclosureNotify(pool, bus)
    consumer.name, consumer.subject = "disclosure-notify-3392", disclosure_subject([C])
    return consumer


async def test_residents_are_notified_once_per_revision_of_what_they_subscribed_to(
    world: World, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    township, village_finance, village_policy = world.residents
    for who, unit, board in ((township, T1, None), (village_finance, V1, "基层公开"), (village_policy, V1, "政策法规")):
        made = await gql(world.url, SUBSCRIBE, {"unit": unit, "board": board}, token=who.token)
        assert made.get("data") and made["data"]["subscribeDisclosure"]["unit"] == unit, made
    assert code_of(await gql(world.url, SUBSCRIBE, {"unit": V1, "board": "闲聊"}, token=township.token)) == "BAD_INPUT"
    assert code_of(await gql(world.url, SUBSCRIBE, {"unit": "339299999999"}, token=township.token)) == "NOT_FOUND"
    assert code_of(await gql(world.url, SUBSCRIBE, {"unit": V1}, token=None)) == "UNAUTHENTICATED"
    consumer = notifier(pg_pool, bus)
    async with running(bus, consumer):
        made = await gql(world.url, CREATE, {"unit": V1, "item": item("六月村务收支")}, token=world.editor.token)
        item_id = made["data"]["createDisclosureItem"]["id"]
        await gql(
            world.url, EDIT, {"unit": V1, "id": item_id, "item": item("六月村务收支（更正）")}, token=world.editor.token
        )
        for who in (township, village_finance):
            got = await eventually(partial(mine, world, who), both_delivered)
            shown = [
                (n["revision"], n["change"], n["unit"], n["channel"]) for n in got["disclosureNotifications"]["items"]
            ]
            assert shown == [(2, "revised", V1, "inbox"), (1, "published", V1, "inbox")]
            assert got["disclosureNotifications"]["items"][0]["deliveredAt"]
    # redelivery of both announcements (the consumer handles them again): nobody is notified twice
    again = [
        DisclosurePublished(
            item_id=item_id,
            unit_code=V1,
            chain=dx.ancestors(V1),
            category="财务",
            revision=r,
            change=c,
            at=datetime.now(UTC).isoformat(),
        )
        for r, c in ((1, "published"), (2, "revised"))
    ]
    await consumer.handle(again)
    await consumer.handle(again)
    assert (await mine(world, township))["disclosureNotifications"]["total"] == 2
    assert (await mine(world, village_policy))["disclosureNotifications"]["total"] == 0  # another board
    subs = (await mine(world, village_finance))["disclosureSubscriptions"]
    assert subs == [{"unit": V1, "board": "基层公开"}]
    # the subtree's count comes from the roll-ups and equals a count of the rows, at every level
    for unit in (C, D1, T1, V1):
        for category, period in ((None, None), ("财务", None), ("财务", "2024-05"), ("党务", None)):
            body = await gql(world.url, BELOW, {"unit": unit, "category": category, "period": period})
            counted = await pg_pool.fetchval(
                """select count(*) from disclosure_items where unit_code like $1 and published_at is not null
                   and withdrawn_at is null and ($2::text is null or category = $2)""",
                dx.hierarchy.prefix_of(unit) + "%",
                category,
            )
            assert body["data"]["disclosureItems"]["total"] == counted == (0 if category == "党务" else 1)


class CrashingBus:
    """The process dies between the commit and the publish: nothing reaches NATS."""

    async def publish(self, event: object) -> int:
        raise ConnectionError("the process died after the commit")


class RefusingNotifier:
    """A channel (an SMS gateway, say) that is down."""

    name = "sms"

    async def deliver(self, notices: Sequence[Notice]) -> None:
        raise ConnectionError("gateway unreachable")


async def test_an_announcement_lost_in_a_crash_is_sent_from_the_outbox_and_a_refused_delivery_retried(
    world: World, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    resident = world.residents[0]  # subscribed to T1 above
    now = datetime.now(UTC)
    draft = dx.ItemDraft(
        unit_code=V2,
        category="财务",
        period="2024-06",
        dated=now.date().replace(2024, 6, 3),
        title="六月永安村收支",
        body="",
    )
    with pytest.raises(ConnectionError):
        await dx.create_item(pool=pg_pool, bus=CrashingBus(), draft=draft, publish=True, by="t", now=now)  # type: ignore[arg-type]
    owed = await pg_pool.fetch("select item_id from disclosure_outbox where unit_code = $1", V2)
    assert len(owed) == 1  # committed with the item: the announcement is owed
    assert await notices.resend_outbox(pool=pg_pool, bus=bus, now=now) == 0  # too young: its writer may still send
    consumer = notifier(pg_pool, bus)
    consumer.notifier = RefusingNotifier()
    async with running(bus, consumer):
        assert await notices.resend_outbox(pool=pg_pool, bus=bus, now=now + timedelta(seconds=31)) == 1
        pending = await eventually(
            lambda: pg_pool.fetchrow(
                "select attempts, delivered_at, last_error from disclosure_notifications where item_id = $1",
                owed[0]["item_id"],
            ),
            lambda r: r is not None and r["attempts"] >= 1,
        )
    assert pending["delivered_at"] is None and "gateway unreachable" in pending["last_error"]
    assert await pg_pool.fetchval("select count(*) from disclosure_outbox where unit_code = $1", V2) == 0
    assert await notices.deliver_pending(pool=pg_pool, notifier=notices.InboxNotifier(), now=now) >= 1
    shown = (await mine(world, resident))["disclosureNotifications"]["items"][0]
    assert (shown["title"], shown["channel"], bool(shown["deliveredAt"])) == ("六月永安村收支", "inbox", True)


SERVICE = """mutation($unit: String!, $service: UnitServiceInput!) {
  saveUnitService(unit: $unit, service: $service) { id kind name phone hours } }"""
PAGE = """query($code: String!) { unit(code: $code) { services { name category hours phone address }
  hotlines { name phone } mailboxes { name department } } }"""
MAILBOX = """mutation($unit: String!, $mailbox: String!) {
  writeUnitMailbox(unit: $unit, mailbox: $mailbox, kind: "建议", subject: "路灯", body: "村口路灯坏了") {
    site kind department dueOn } }"""
COMPLAIN = """mutation($id: ID!) { complainDisclosureItem(id: $id, subject: "收支不实", body: "金额与实际不符") {
  letter { site kind department body } routedTo { code level } } }"""


async def test_services_hotlines_mailboxes_and_complaints_routed_to_the_unit_above(world: World) -> None:
    token, resident = world.editor.token, world.residents[1]
    service = {
        "kind": "服务",
        "name": "社保办理",
        "category": "社会保障",
        "hours": "工作日 9:00-17:00",
        "phone": "028-8888 1234",
        "address": "村委会一楼",
    }
    assert (await gql(world.url, SERVICE, {"unit": V1, "service": service}, token=token))["data"]
    hotline = {"kind": "热线", "name": "村委值班电话", "phone": "028-8888 0000"}
    assert (await gql(world.url, SERVICE, {"unit": V1, "service": hotline}, token=token))["data"]
    for bad in ({**service, "phone": "call me"}, {**hotline, "phone": ""}, {**service, "kind": "广告"}):
        assert code_of(await gql(world.url, SERVICE, {"unit": V1, "service": bad}, token=token)) == "BAD_INPUT"
    assert code_of(await gql(world.url, SERVICE, {"unit": V2, "service": service}, token=token)) == "FORBIDDEN"
    page = (await gql(world.url, PAGE, {"code": V1}))["data"]["unit"]
    assert page["services"] == [
        {
            "name": "社保办理",
            "category": "社会保障",
            "hours": "工作日 9:00-17:00",
            "phone": "028-8888 1234",
            "address": "村委会一楼",
        }
    ]
    assert page["hotlines"] == [{"name": "村委值班电话", "phone": "028-8888 0000"}]
    assert [m["name"] for m in page["mailboxes"]] == ["书记信箱", "主任信箱"]

    sent = await gql(world.url, MAILBOX, {"unit": V1, "mailbox": "书记信箱"}, token=resident.token)
    letter = sent["data"]["writeUnitMailbox"]
    assert (letter["site"], letter["department"]) == (dx.site_id_of(V1), f"{V1} 书记信箱") and letter["dueOn"]
    assert (
        code_of(await gql(world.url, MAILBOX, {"unit": V1, "mailbox": "县长信箱"}, token=resident.token)) == "BAD_INPUT"
    )
    assert code_of(await gql(world.url, MAILBOX, {"unit": V1, "mailbox": "书记信箱"}, token=None)) == "UNAUTHENTICATED"

    made = await gql(world.url, CREATE, {"unit": V1, "item": item("七月收支")}, token=token)
    complained = await gql(
        world.url, COMPLAIN, {"id": made["data"]["createDisclosureItem"]["id"]}, token=resident.token
    )
    routed = complained["data"]["complainDisclosureItem"]
    assert routed["routedTo"] == {"code": T1, "level": "乡镇街道"}
    assert (routed["letter"]["site"], routed["letter"]["kind"]) == (dx.site_id_of(T1), "投诉")
    assert routed["letter"]["department"] == f"{T1} 监督管理" and "七月收支" in routed["letter"]["body"]
    unknown = await gql(world.url, COMPLAIN, {"id": "0190a1b2-0000-7000-8000-000000000000"}, token=resident.token)
    assert code_of(unknown) == "NOT_FOUND"


SAVE_FUND = """mutation($unit: String!, $project: FundProjectInput!) { saveFundProject(unit: $unit, project: $project) {
  id } }"""
SPEND = """mutation($unit: String!, $id: ID!) { addFundSpending(unit: $unit, id: $id,
  spending: {amount: "30000", spentOn: "2024-05-02", payee: "施工队"}) { amount } }"""
DELETE_FUND = "mutation($unit: String!, $id: ID!) { deleteFundProject(unit: $unit, id: $id) }"


async def test_fund_projects_are_searchable_with_their_spending_and_go_when_deleted(
    world: World, pg_pool: asyncpg.Pool, bus: Bus, tmp_path: Path
) -> None:
    token, site = world.editor.token, dx.site_id_of(V1)
    reader = TantivyEngine(tmp_path)
    await reader.open()
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), site)
    project = {"name": "渠道整治工程", "category": "水利", "source": "区", "amount": "120000", "year": 2024}
    async with running(bus, indexer, projector):
        fund_id = (await gql(world.url, SAVE_FUND, {"unit": V1, "project": project}, token=token))["data"][
            "saveFundProject"
        ]["id"]
        found = await eventually(lambda: site_hits(reader, site, "渠道整治"), lambda r: r.total == 1)
        assert found.hits[0].url.endswith(f"/disclosure/funds/{fund_id}")
        await gql(world.url, SPEND, {"unit": V1, "id": fund_id}, token=token)
        spent = await eventually(
            lambda: pg_pool.fetchval("select text from documents where url = $1", found.hits[0].url),
            lambda t: t is not None and "已支出 30,000.00 元" in t,
        )
        assert "项目金额 120,000.00 元" in spent and "结余 90,000.00 元" in spent and "和平村" in spent
        await gql(world.url, DELETE_FUND, {"unit": V1, "id": fund_id}, token=token)
        await eventually(lambda: site_hits(reader, site, "渠道整治"), lambda r: r.total == 0)


async def test_a_subtree_page_is_the_newest_first_whichever_way_it_is_read(world: World, pg_pool: asyncpg.Pool) -> None:
    """Either way of reading a subtree's page (in date order, or its range sorted) gives what one sort of the
    whole subtree gives (the items of the tests above: two periods, two villages)."""
    expected = await pg_pool.fetch(
        """select id from disclosure_items where unit_code like '3392%' and published_at is not null
           and withdrawn_at is null order by period_start desc, published_at desc, id limit 5"""
    )
    for ordered in (True, False):
        page = await subtree_page(
            pg_pool,
            first=C,
            last="339299999999",
            ordered=ordered,
            category=None,
            start=None,
            end=None,
            offset=0,
            limit=5,
        )
        assert [i.id for i in page] == [r["id"] for r in expected]
    assert len(expected) >= 3

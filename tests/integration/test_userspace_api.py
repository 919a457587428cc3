"""The user space over HTTP and websockets with real access tokens: `me`, letters, replies, `myUpdates`."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.applications import apply_updates
from core.bus import ApplicationUpdated, Bus, LetterReplied, user_key
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import KEEP_ALIVES, first_data, gql
from tests.integration.search_fixtures import make_site, running
from tests.integration.userspace_fixtures import Person, person, progress
from workers.applications import ApplicationsConsumer

pytestmark = pytest.mark.integration

SUBMIT = """mutation($site: ID!, $kind: String!, $dep: String!, $subject: String!, $body: String!, $consent: Boolean) {
  submitLetter(site: $site, kind: $kind, department: $dep, subject: $subject, body: $body, consentToPublish: $consent) {
    id site kind department subject status dueOn late reply { body } } }"""
REPLY = "mutation($id: ID!, $body: String!) { replyLetter(id: $id, body: $body) { id status reply { body by late } } }"
ME = """query($size: Int) { me { id username name kind realNameLevel
  letters(pageSize: $size) { total page pageSize items { id subject kind status dueOn reply { body } } }
  replies(pageSize: $size) { total items { letterId subject body department late } }
  applications(pageSize: $size) { total items { applicationId service stage status steps { stage } } } } }"""
MY_UPDATES = (
    """subscription { myUpdates { reply { letterId body } application { applicationId stage steps { stage } } } }"""
)


@dataclasses.dataclass(frozen=True)
class Space:
    url: str
    settings: Settings  # what the server's tokens are issued under (its issuer)


@pytest.fixture(scope="module")
async def space(settings: Settings) -> AsyncIterator[Space]:
    async with serve_api(settings) as url:
        yield Space(url, dataclasses.replace(settings, public_url=url))


def now() -> datetime:
    return datetime.now(UTC)  # the server verifies tokens against its own clock


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def submit(space: Space, who: Person, site: str, **kw: Any) -> dict[str, Any]:
    variables = {"site": site, "kind": "咨询", "dep": "市人社局", "subject": "社保转移", "body": "请问怎么转？", **kw}
    return await gql(space.url, SUBMIT, variables, token=who.token)


async def test_me_needs_a_signed_in_user(space: Space, pg_pool: asyncpg.Pool) -> None:
    assert code(await gql(space.url, "{ me { id } }", token=None)) == "UNAUTHENTICATED"
    assert code(await gql(space.url, "{ me { id } }", token="not-a-token")) == "UNAUTHENTICATED"
    body = await gql(space.url, "{ me { id } }")  # the break-glass ADMIN_TOKEN names no person
    assert code(body) == "FORBIDDEN"
    who = await person(pg_pool, space.settings, now(), level=3, name="李四")
    body = await gql(space.url, ME, token=who.token)
    assert not body.get("errors"), body
    me = body["data"]["me"]
    assert (me["id"], me["username"], me["name"], me["kind"], me["realNameLevel"]) == (
        str(who.user_id),
        who.username,
        "李四",
        "person",
        3,
    )
    assert me["letters"]["total"] == me["replies"]["total"] == me["applications"]["total"] == 0


async def test_letters_replies_and_applications_show_in_me(space: Space, pg_pool: asyncpg.Pool) -> None:
    site = await make_site(pg_pool)
    writer = await person(pg_pool, space.settings, now(), level=2)
    replier = await person(pg_pool, space.settings, now(), replier_of="市人社局", name="王科长")
    first = await submit(space, writer, site, subject="第一封")
    assert not first.get("errors"), first
    letter = first["data"]["submitLetter"]
    assert (letter["site"], letter["kind"], letter["status"], letter["reply"]) == (site, "咨询", "open", None)
    second = (await submit(space, writer, site, subject="第二封", kind="建议"))["data"]["submitLetter"]
    replied = await gql(space.url, REPLY, {"id": letter["id"], "body": "请到窗口办理。"}, token=replier.token)
    assert replied["data"]["replyLetter"]["reply"] == {"body": "请到窗口办理。", "by": "王科长", "late": False}
    username = writer.username
    async with pg_pool.acquire() as conn, conn.transaction():
        await apply_updates(conn, [progress(username, "Z-1", 1, "受理", "2024-09-02T09:00:00+08:00")])
        await apply_updates(conn, [progress(username, "Z-1", 2, "审查", "2024-09-03T09:00:00+08:00")])

    me = (await gql(space.url, ME, {"size": 20}, token=writer.token))["data"]["me"]
    assert [x["subject"] for x in me["letters"]["items"]] == ["第二封", "第一封"]
    assert [x["status"] for x in me["letters"]["items"]] == ["open", "replied"]
    assert me["replies"]["total"] == 1 and me["replies"]["items"][0]["letterId"] == letter["id"]
    assert me["replies"]["items"][0]["body"] == "请到窗口办理。"
    (app,) = me["applications"]["items"]
    assert (app["applicationId"], app["stage"], [s["stage"] for s in app["steps"]]) == ("Z-1", "审查", ["受理", "审查"])
    paged = (await gql(space.url, ME, {"size": 1}, token=writer.token))["data"]["me"]["letters"]
    assert (paged["total"], paged["pageSize"], [x["id"] for x in paged["items"]]) == (2, 1, [second["id"]])
    too_big = "{ me { letters(pageSize: 101) { total } } }"  # past MAX_PAGE_SIZE (100)
    assert code(await gql(space.url, too_big, token=writer.token)) == "BAD_INPUT"
    assert code(await gql(space.url, "{ me { replies(page: 0) { total } } }", token=writer.token)) == "BAD_INPUT"
    # Nobody else sees them.
    stranger = await person(pg_pool, space.settings, now())
    assert (await gql(space.url, ME, token=stranger.token))["data"]["me"]["letters"]["total"] == 0


async def test_a_letter_sent_twice_is_one_letter(space: Space, pg_pool: asyncpg.Pool) -> None:
    """A double click, a retry after a timeout, or two tabs at once: one letter, one deadline, one reply due."""
    site = await make_site(pg_pool)
    writer = await person(pg_pool, space.settings, now(), level=2)
    first = (await submit(space, writer, site, subject="路灯不亮"))["data"]["submitLetter"]
    again = (await submit(space, writer, site, subject="路灯不亮"))["data"]["submitLetter"]
    both = await asyncio.gather(*(submit(space, writer, site, subject="井盖缺失") for _ in range(2)))
    assert again["id"] == first["id"]
    assert both[0]["data"]["submitLetter"]["id"] == both[1]["data"]["submitLetter"]["id"]
    other = (await submit(space, writer, site, subject="路灯不亮", body="还是不亮，请尽快修。"))["data"]["submitLetter"]
    assert other["id"] != first["id"], "another text is another letter"
    me = (await gql(space.url, ME, {"size": 20}, token=writer.token))["data"]["me"]
    assert me["letters"]["total"] == 3


async def test_bad_letters_and_replies_get_coded_errors(space: Space, pg_pool: asyncpg.Pool) -> None:
    site = await make_site(pg_pool)
    writer = await person(pg_pool, space.settings, now(), level=2)
    assert code(await submit(space, writer, "no-such-site")) == "NOT_FOUND"
    assert code(await submit(space, writer, site, kind="表扬")) == "BAD_INPUT"
    assert code(await submit(space, writer, site, subject="")) == "BAD_INPUT"
    assert code(await submit(space, writer, site, body="字" * 5001)) == "BAD_INPUT"
    low = await person(pg_pool, space.settings, now(), level=1)
    refused = await submit(space, low, site)
    assert code(refused) == "FORBIDDEN" and "real-name level 2" in refused["errors"][0]["message"]
    anonymous = await gql(
        space.url, SUBMIT, {"site": site, "kind": "咨询", "dep": "d", "subject": "s", "body": "b"}, token=None
    )
    assert code(anonymous) == "UNAUTHENTICATED"

    letter_id = (await submit(space, writer, site))["data"]["submitLetter"]["id"]
    other = await person(pg_pool, space.settings, now(), replier_of="市住建局")
    right = await person(pg_pool, space.settings, now(), replier_of="市人社局")
    assert code(await gql(space.url, REPLY, {"id": letter_id, "body": "答复"}, token=other.token)) == "FORBIDDEN"
    assert code(await gql(space.url, REPLY, {"id": letter_id, "body": "答复"}, token=writer.token)) == "FORBIDDEN"
    assert code(await gql(space.url, REPLY, {"id": "not-a-uuid", "body": "答复"}, token=right.token)) == "BAD_INPUT"
    unknown = "00000000-0000-0000-0000-000000000000"
    assert code(await gql(space.url, REPLY, {"id": unknown, "body": "答复"}, token=right.token)) == "NOT_FOUND"
    assert code(await gql(space.url, REPLY, {"id": letter_id, "body": " "}, token=right.token)) == "BAD_INPUT"
    ok = await gql(space.url, REPLY, {"id": letter_id, "body": "答复"}, token=right.token)
    assert ok["data"]["replyLetter"]["status"] == "replied"
    assert code(await gql(space.url, REPLY, {"id": letter_id, "body": "再答"}, token=right.token)) == "CONFLICT"


async def _subscribe(
    space: Space, s: aiohttp.ClientSession, payload: dict[str, Any]
) -> aiohttp.ClientWebSocketResponse:
    ws = await s.ws_connect(f"{space.url}/graphql", protocols=["graphql-transport-ws"])
    await ws.send_json({"type": "connection_init", "payload": payload})
    assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
    await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": MY_UPDATES}})
    return ws


async def test_my_updates_pushes_replies_and_progress_live(space: Space, pg_pool: asyncpg.Pool, bus: Bus) -> None:
    site = await make_site(pg_pool)
    writer = await person(pg_pool, space.settings, now())
    neighbour = await person(pg_pool, space.settings, now())
    replier = await person(pg_pool, space.settings, now(), replier_of="市人社局")
    mine = (await submit(space, writer, site))["data"]["submitLetter"]["id"]
    theirs = (await submit(space, neighbour, site))["data"]["submitLetter"]["id"]
    for letter_id in (theirs, mine):
        await gql(space.url, REPLY, {"id": letter_id, "body": f"答复{letter_id[:4]}"}, token=replier.token)
    consumer = ApplicationsConsumer(pg_pool, bus)
    key = user_key(writer.username)
    consumer.name, consumer.subject = f"applications-{key}", f"{ApplicationUpdated.SUBJECT}.{key}"
    seqs = itertools.count(1)

    async def reannounce() -> None:  # the replies were sent before the socket listened: tell it again
        for username, letter_id in ((neighbour.username, theirs), (writer.username, mine)):
            at = now().isoformat()
            await bus.notify(LetterReplied(letter_id, username, site, "市人社局", False, at))

    async def progress_next() -> None:
        seq = next(seqs)
        stage = ("受理", "审查", "决定", "办结")[min(seq, 4) - 1]
        await bus.publish(progress(writer.username, "L-9", seq, stage, f"2024-09-0{min(seq, 9)}T09:00:00+08:00"))

    async with aiohttp.ClientSession() as s, running(bus, consumer):
        ws = await _subscribe(space, s, {"Authorization": f"Bearer {writer.token}"})
        got = (await first_data(ws, reannounce))["myUpdates"]
        assert got == {"reply": {"letterId": mine, "body": f"答复{mine[:4]}"}, "application": None}
        ws2 = await _subscribe(space, s, {"token": writer.token})
        pushed = (await first_data(ws2, progress_next))["myUpdates"]
        assert pushed["reply"] is None and pushed["application"]["applicationId"] == "L-9"
        assert (
            pushed["application"]["stage"] == ("受理", "审查", "决定", "办结")[len(pushed["application"]["steps"]) - 1]
        )
        await ws.close()
        await ws2.close()


async def test_my_updates_without_a_token_is_unauthenticated(space: Space) -> None:
    async with aiohttp.ClientSession() as s:
        ws = await _subscribe(space, s, {})
        while (msg := await ws.receive_json(timeout=10))["type"] in KEEP_ALIVES:
            pass
        errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", msg
        await ws.close()


async def test_a_token_that_is_not_valid_ends_the_subscription(space: Space) -> None:
    async with aiohttp.ClientSession() as s:
        ws = await _subscribe(space, s, {"Authorization": f"Bearer x{secrets.token_hex(8)}"})
        while (msg := await ws.receive_json(timeout=10))["type"] in KEEP_ALIVES:
            pass
        errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", msg
        await ws.close()

"""电视问政 over GraphQL: an episode split into questions and answers, commitments proposed, confirmed and tracked;
an overdue one is a finding of the site's inspection and a live alert until it is reported done."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import AlertRaised, Bus
from core.clock import local_date, system_clock
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.engagement_fixtures import Member, code, make_sites, member
from tests.integration.graphql import KEEP_ALIVES, first_data, gql
from workers.monitor import inspect_site

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
SITE, OTHER = f"tvqa-{RUN}", f"tvqa-other-{RUN}"
EPISODE = """fragment E on TvEpisode { id site programme title airDate videoUrl
  exchanges { seq asker question speaker answer }
  commitments { id department content quote dueOn status reply } }"""
ADD = (
    EPISODE
    + """
mutation($site: ID!, $title: String!, $air: Date!, $text: String!, $video: String) {
  addEpisode(site: $site, programme: "电视问政", title: $title, airDate: $air, transcript: $text, videoUrl: $video) {
    ...E } }"""
)
CONFIRM = """mutation($site: ID!, $id: ID!, $dep: String, $due: Date, $dismiss: Boolean) {
  confirmCommitment(site: $site, id: $id, department: $dep, dueOn: $due, dismiss: $dismiss) {
    id status department dueOn } }"""
UPDATE = """mutation($site: ID!, $id: ID!, $status: CommitmentStatus!, $reply: String, $url: String) {
  updateCommitment(site: $site, id: $id, status: $status, reply: $reply, evidenceUrl: $url) {
    status reply evidenceUrl doneAt } }"""
LIST = """query($status: CommitmentStatus, $dep: String, $site: ID) {
  commitments(status: $status, department: $dep, site: $site) { total items { id status department dueOn } } }"""
FINDINGS = """query($s: ID!) { inspection(site: $s) {
  findings(rule: "tv_commitment_overdue") { total items { summary evidence } } } }"""
ALERTS = "subscription($s: ID) { alerts(site: $s) { siteId rule state summary findingId } }"


def transcript() -> str:
    return (
        "主持人：欢迎收看本期节目。请看记者暗访。\n"
        "记者：城东菜市场门口的路灯坏了三个月，居民夜间出行很不方便。\n"
        "主持人：请问市城管局，什么时候能修好？\n"
        "市城管局局长李四：感谢监督。我们承诺30日内全部修复。\n"
        "市民：公交站台太少，孩子上学要走很远。\n"
        "市交通局局长张三：我们将在2099年1月1日前新增两个站台。我们保证尽快回应群众关切。\n"
    )


@dataclasses.dataclass(frozen=True)
class World:
    url: str
    editor: str  # an editor of SITE
    nobody: str  # signed in, no role


@pytest.fixture(scope="module")
async def world(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[World]:
    await make_sites(pg_pool, SITE, OTHER)
    editor: Member = await member(pg_pool, "编辑", role="editor", site_id=SITE)
    nobody: Member = await member(pg_pool, "路人")
    async with serve_api(settings) as url:
        issuer = dataclasses.replace(settings, public_url=url)
        yield World(url, await editor.token(pg_pool, issuer), await nobody.token(pg_pool, issuer))


async def add_episode(world: World, aired: date, **kw: Any) -> dict[str, Any]:
    variables = {"site": SITE, "title": "第12期", "air": aired.isoformat(), "text": transcript(), **kw}
    return await gql(world.url, ADD, variables, token=world.editor)


async def test_commitments_are_proposed_confirmed_and_overdue_ones_are_alerted_until_done(
    world: World, settings: Settings, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    aired = local_date(system_clock()) - timedelta(days=100)
    body = await add_episode(world, aired, video="https://tv.example.cn/wz/12.mp4")
    episode = body["data"]["addEpisode"]
    assert [(x["asker"], x["speaker"]) for x in episode["exchanges"]] == [
        ("主持人、记者", "市城管局局长李四"),
        ("市民", "市交通局局长张三"),
    ]
    proposed = {c["content"]: c for c in episode["commitments"]}
    assert [c["status"] for c in proposed.values()] == ["PROPOSED"] * 3
    fix = proposed["我们承诺30日内全部修复。"]
    assert fix["dueOn"] == (aired + timedelta(days=30)).isoformat() and fix["department"] == "市城管局"
    stops = proposed["我们将在2099年1月1日前新增两个站台。"]
    vague = proposed["我们保证尽快回应群众关切。"]
    assert stops["dueOn"] == "2099-01-01" and vague["dueOn"] is None
    # Proposals are the editors' work: the public sees none of them.
    public = await gql(
        world.url, EPISODE + "query($id: ID!) { tvEpisode(id: $id) { ...E } }", {"id": episode["id"]}, token=None
    )
    assert public["data"]["tvEpisode"]["commitments"] == [] and len(public["data"]["tvEpisode"]["exchanges"]) == 2
    assert code(await gql(world.url, LIST, {"status": "PROPOSED", "site": SITE}, token=None)) == "UNAUTHENTICATED"
    assert code(await gql(world.url, LIST, {"status": "PROPOSED", "site": SITE}, token=world.nobody)) == "FORBIDDEN"
    mine = await gql(world.url, LIST, {"status": "PROPOSED", "site": SITE}, token=world.editor)
    assert mine["data"]["commitments"]["total"] == 3
    # Confirmed: the one past its due date reads OVERDUE; a proposal with no date needs one; one is dismissed.
    out = await gql(world.url, CONFIRM, {"site": SITE, "id": fix["id"], "dep": "市城市管理局"}, token=world.editor)
    assert out["data"]["confirmCommitment"]["status"] == "OVERDUE"
    out = await gql(world.url, CONFIRM, {"site": SITE, "id": stops["id"]}, token=world.editor)
    assert out["data"]["confirmCommitment"]["status"] == "OPEN"
    out = await gql(world.url, CONFIRM, {"site": SITE, "id": vague["id"]}, token=world.editor)
    assert code(out) == "BAD_INPUT" and "dueOn is required" in out["errors"][0]["message"]
    out = await gql(world.url, CONFIRM, {"site": SITE, "id": vague["id"], "dismiss": True}, token=world.editor)
    assert out["data"]["confirmCommitment"]["status"] == "DISMISSED"
    late = await gql(world.url, LIST, {"status": "OVERDUE", "dep": "市城市管理局"}, token=None)
    assert [c["id"] for c in late["data"]["commitments"]["items"]] == [fix["id"]]
    confirmed = await gql(world.url, LIST, {"site": SITE}, token=None)
    assert sorted(c["status"] for c in confirmed["data"]["commitments"]["items"]) == ["OPEN", "OVERDUE"]
    await inspected_with_alert(world, settings, bus, fix["id"])
    # Reported done with the department's reply: the finding closes at the next inspection.
    done = await gql(
        world.url,
        UPDATE,
        {
            "site": SITE,
            "id": fix["id"],
            "status": "DONE",
            "reply": "已全部修复",
            "url": "https://tv.example.cn/wz/12-reply",
        },
        token=world.editor,
    )
    assert done["data"]["updateCommitment"]["status"] == "DONE" and done["data"]["updateCommitment"]["doneAt"]
    await inspect_site(settings, SITE)
    after = await gql(world.url, FINDINGS, {"s": SITE})
    assert after["data"]["inspection"]["findings"]["total"] == 0
    # Reopened (it was not fixed after all): "已全部修复" and its evidence no longer stand beside OVERDUE.
    reopened = await gql(world.url, UPDATE, {"site": SITE, "id": fix["id"], "status": "OPEN"}, token=world.editor)
    reopened_now = {"status": "OVERDUE", "reply": None, "evidenceUrl": None, "doneAt": None}
    assert reopened["data"]["updateCommitment"] == reopened_now


async def inspected_with_alert(world: World, settings: Settings, bus: Bus, commitment_id: str) -> None:
    """runInspection queues the job; its body (run here as a worker would) finds the overdue commitment and the
    `alerts` subscription carries it live."""
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{world.url}/graphql", protocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": ALERTS, "variables": {"s": SITE}}})
        probe = AlertRaised(finding_id="probe", site_id=SITE, rule="probe", state="opened", summary="", at="")
        await first_data(ws, lambda: bus.notify(probe))
        queued = await gql(
            world.url, "mutation($s: ID!) { runInspection(site: $s) { job } }", {"s": SITE}, token=world.editor
        )
        assert queued["data"]["runInspection"]["job"] == "inspect_site"
        await inspect_site(settings, SITE)
        alert = None
        while alert is None:
            msg = await ws.receive_json(timeout=10)
            if msg["type"] != "next":
                assert msg["type"] in KEEP_ALIVES, json.dumps(msg)
            elif msg["payload"]["data"]["alerts"]["rule"] == "tv_commitment_overdue":
                alert = msg["payload"]["data"]["alerts"]
    assert alert["state"] == "opened" and "市城市管理局在《电视问政》" in alert["summary"]
    found = (await gql(world.url, FINDINGS, {"s": SITE}))["data"]["inspection"]["findings"]
    assert found["total"] == 1 and found["items"][0]["evidence"]["commitment_id"] == commitment_id
    assert found["items"][0]["evidence"]["days_overdue"] == 70


async def test_bad_input_is_refused_with_what_to_fix(world: World, pg_pool: asyncpg.Pool) -> None:
    today = local_date(system_clock())
    cases = [
        ({"air": (today + timedelta(days=1)).isoformat()}, "BAD_INPUT", "after today"),
        ({"air": "1900-01-01"}, "BAD_INPUT", "before Chinese television began"),
        ({"video": "ftp://tv.example.cn/x"}, "BAD_INPUT", "videoUrl must be an http(s) URL"),
        ({"text": "   "}, "BAD_INPUT", "transcript must not be empty"),
        ({"title": "标" * 201}, "BAD_INPUT", "title is 201 characters"),
    ]
    for changes, expected, words in cases:
        body = await add_episode(world, today, **changes)
        assert code(body) == expected and words in body["errors"][0]["message"], changes
    ghost = await gql(
        world.url, ADD, {"site": f"tvqa-ghost-{RUN}", "title": "x", "air": today.isoformat(), "text": transcript()}
    )
    assert code(ghost) == "NOT_FOUND"  # the admin token passes the role check; the site does not exist
    bad_site = await gql(world.url, ADD, {"site": "NO SUCH", "title": "x", "air": today.isoformat(), "text": "x"})
    assert code(bad_site) == "BAD_INPUT" and "not a site id" in bad_site["errors"][0]["message"]
    episode = (await add_episode(world, today))["data"]["addEpisode"]
    one = episode["commitments"][0]["id"]
    # The same programme, day and title sent again (a double click, a retry): its commitments would count twice.
    proposed = {"status": "PROPOSED", "site": SITE}
    before = (await gql(world.url, LIST, proposed, token=world.editor))["data"]["commitments"]["total"]
    twice = await add_episode(world, today)
    assert code(twice) == "CONFLICT" and f"stored already as episode {episode['id']}" in twice["errors"][0]["message"]
    assert (await gql(world.url, LIST, proposed, token=world.editor))["data"]["commitments"]["total"] == before
    wrong_site = await gql(world.url, CONFIRM, {"site": OTHER, "id": one})  # an admin, but not this site's
    assert code(wrong_site) == "NOT_FOUND" and OTHER in wrong_site["errors"][0]["message"]
    typo = (today - timedelta(days=365)).isoformat()  # last year typed for this year: never due before it was made
    out = await gql(world.url, CONFIRM, {"site": SITE, "id": one, "due": typo}, token=world.editor)
    assert code(out) == "BAD_INPUT" and "before the episode aired" in out["errors"][0]["message"]
    out = await gql(world.url, UPDATE, {"site": SITE, "id": one, "status": "DONE", "reply": "x"}, token=world.editor)
    assert code(out) == "CONFLICT" and "confirm it" in out["errors"][0]["message"]
    await gql(world.url, CONFIRM, {"site": SITE, "id": one}, token=world.editor)
    out = await gql(world.url, UPDATE, {"site": SITE, "id": one, "status": "DONE"}, token=world.editor)
    assert code(out) == "BAD_INPUT" and "reply must not be empty" in out["errors"][0]["message"]
    out = await gql(world.url, UPDATE, {"site": SITE, "id": one, "status": "OVERDUE"}, token=world.editor)
    assert code(out) == "BAD_INPUT" and "open or done" in out["errors"][0]["message"]
    assert code(await gql(world.url, '{ tvEpisode(id: "nope") { id } }')) == "BAD_INPUT"
    assert code(await gql(world.url, f'{{ tvEpisode(id: "{uuid.uuid4()}") {{ id }} }}')) == "NOT_FOUND"
    assert code(await gql(world.url, "{ commitments(pageSize: 1000) { total } }")) == "BAD_INPUT"
    assert code(await gql(world.url, "{ tvEpisodes(pageSize: 21) { total } }")) == "BAD_INPUT"
    listed = await gql(world.url, "query($s: ID) { tvEpisodes(site: $s) { total items { title } } }", {"s": SITE})
    assert listed["data"]["tvEpisodes"]["total"] >= 2


async def test_a_transcript_in_traditional_script_is_split_and_its_promises_proposed(world: World) -> None:
    """A transcript typed or pasted in traditional script: 記者 asks, 局長 answers, 保證…天內 is a promise."""
    aired = local_date(system_clock()) - timedelta(days=10)
    text = (
        "主持人：歡迎收看。\n記者：城南公園的路燈壞了三個月。\n"
        "市城管局局長李四：我們保證三十天內全部修復。\n市民：謝謝。\n"
    )
    episode = (await add_episode(world, aired, text=text))["data"]["addEpisode"]
    assert [(x["asker"], x["speaker"]) for x in episode["exchanges"]] == [("主持人、記者", "市城管局局長李四")]
    assert [(c["content"], c["department"], c["dueOn"]) for c in episode["commitments"]] == [
        ("我們保證三十天內全部修復。", "市城管局", (aired + timedelta(days=30)).isoformat())
    ]

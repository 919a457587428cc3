"""Public consultations (意见征集) over GraphQL: signed-in comments at a real-name level, moderation by the site's
editors (only approved comments are public), a rate limit per person, and the feedback report after closing."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from core.clock import beijing_time, local_date
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.engagement_fixtures import Member, SetClock, code, make_sites, member
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
SITE = f"yjzj-{RUN}"
PER_HOUR = 3
OPEN = """mutation($site: ID!, $title: String!, $body: String!, $opens: Date!, $closes: Date!, $url: String) {
  openConsultation(site: $site, title: $title, body: $body, opensOn: $opens, closesOn: $closes, attachmentUrl: $url) {
    id state opensOn closesOn } }"""
COMMENT = """mutation($c: ID!, $body: String!) { submitConsultationComment(consultation: $c, body: $body) {
  id author body state } }"""
MODERATE = """mutation($site: ID!, $id: ID!, $d: CommentState!, $why: String) {
  moderateComment(site: $site, id: $id, decision: $d, reason: $why) { id state moderationReason } }"""
REPORT = """mutation($site: ID!, $c: ID!, $decisions: [FeedbackDecisionInput!]!) {
  publishFeedbackReport(site: $site, consultation: $c, summary: "共收到意见，采纳情况如下", decisions: $decisions) {
    adopted partlyAdopted notAdopted decisions { comments adoption reason } } }"""
READ = """query($id: ID!, $state: CommentState!) { consultation(id: $id) { title state
  comments(state: $state) { total items { id author body adoption adoptionReason } }
  feedbackReport { summary adopted notAdopted } } }"""


@dataclasses.dataclass
class World:
    url: str
    clock: SetClock
    issuer: Settings
    pool: asyncpg.Pool
    people: dict[str, Member]

    async def as_(self, who: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The query sent by `who` (None: anonymous) with a token issued at the API's current time."""
        token = await self.people[who].token(self.pool, self.issuer, self.clock.at) if who else None
        return await gql(self.url, query, variables, token=token)


@pytest.fixture(scope="module")
async def world(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[World]:
    await make_sites(pg_pool, SITE)
    people = {
        "editor": await member(pg_pool, "编辑", role="editor", site_id=SITE),
        "zhang": await member(pg_pool, "张三", level=2),
        "ouyang": await member(pg_pool, "欧阳修", level=1),
        "unverified": await member(pg_pool, "未实名", level=0),
        "busy": await member(pg_pool, "李四", level=3),
    }
    clock = SetClock(datetime.now(UTC))
    async with serve_api(settings, clock=clock, consultation_comments_per_hour=PER_HOUR) as url:
        yield World(url, clock, dataclasses.replace(settings, public_url=url), pg_pool, people)


async def open_one(world: World, days: int = 7) -> str:
    today = local_date(world.clock.at)
    closes = (today + timedelta(days=days)).isoformat()
    draft = "https://www.example.gov.cn/yjzj/draft.pdf"
    variables = {
        "site": SITE,
        "title": "《城市养犬管理条例（征求意见稿）》",
        "body": "第一条……",
        "opens": today.isoformat(),
        "closes": closes,
        "url": draft,
    }
    body = await world.as_("editor", OPEN, variables)
    assert body["data"]["openConsultation"]["state"] == "OPEN", body
    return str(body["data"]["openConsultation"]["id"])


async def test_comments_are_moderated_and_the_report_decides_each_public_one(world: World) -> None:
    c = await open_one(world)
    assert code(await world.as_(None, COMMENT, {"c": c, "body": "建议"})) == "UNAUTHENTICATED"
    low = await world.as_("unverified", COMMENT, {"c": c, "body": "建议"})
    assert code(low) == "FORBIDDEN" and "real-name level 1" in low["errors"][0]["message"]
    sent = {}
    for who, text in (("zhang", "建议限定遛狗时间"), ("zhang", "我的电话是138……"), ("ouyang", "建议增设宠物公园")):
        out = (await world.as_(who, COMMENT, {"c": c, "body": text}))["data"]["submitConsultationComment"]
        assert out["state"] == "PENDING"
        sent[text] = out
    assert sent["建议限定遛狗时间"]["author"] == "张*" and sent["建议增设宠物公园"]["author"] == "欧**"
    public = await world.as_(None, READ, {"id": c, "state": "APPROVED"})
    assert public["data"]["consultation"]["comments"]["total"] == 0  # nothing is public before moderation
    assert code(await world.as_(None, READ, {"id": c, "state": "PENDING"})) == "UNAUTHENTICATED"
    assert code(await world.as_("zhang", READ, {"id": c, "state": "PENDING"})) == "FORBIDDEN"
    queue = await world.as_("editor", READ, {"id": c, "state": "PENDING"})
    assert queue["data"]["consultation"]["comments"]["total"] == 3
    keep, private, park = (sent[t]["id"] for t in ("建议限定遛狗时间", "我的电话是138……", "建议增设宠物公园"))
    no_reason = await world.as_("editor", MODERATE, {"site": SITE, "id": private, "d": "HIDDEN"})
    assert code(no_reason) == "BAD_INPUT" and "reason must not be empty" in no_reason["errors"][0]["message"]
    hidden = await world.as_("editor", MODERATE, {"site": SITE, "id": private, "d": "HIDDEN", "why": "含个人信息"})
    assert hidden["data"]["moderateComment"]["moderationReason"] == "含个人信息"
    for approved in (keep, park):
        await world.as_("editor", MODERATE, {"site": SITE, "id": approved, "d": "APPROVED"})
    public = await world.as_(None, READ, {"id": c, "state": "APPROVED"})
    assert sorted(x["author"] for x in public["data"]["consultation"]["comments"]["items"]) == ["张*", "欧**"]
    early = await world.as_("editor", REPORT, {"site": SITE, "c": c, "decisions": []})
    assert code(early) == "BAD_INPUT" and "publish its feedback report after that" in early["errors"][0]["message"]
    # The day after closing: no more comments; the report decides every public comment, once.
    world.clock.at += timedelta(days=8)
    late = await world.as_("zhang", COMMENT, {"c": c, "body": "再补充一条"})
    assert code(late) == "BAD_INPUT" and "comments are no longer taken" in late["errors"][0]["message"]
    adopted = {"comments": [keep], "adoption": "ADOPTED", "reason": "已在第十条增加规定"}
    partial = await world.as_("editor", REPORT, {"site": SITE, "c": c, "decisions": [adopted]})
    assert code(partial) == "BAD_INPUT" and "every public comment" in partial["errors"][0]["message"]
    stranger = {"comments": [private], "adoption": "NOT_ADOPTED", "reason": "x"}
    body = await world.as_("editor", REPORT, {"site": SITE, "c": c, "decisions": [adopted, stranger]})
    assert code(body) == "BAD_INPUT" and "not public comments" in body["errors"][0]["message"]
    rejected = {"comments": [park], "adoption": "NOT_ADOPTED", "reason": "用地不足，纳入后续规划研究"}
    report = await world.as_("editor", REPORT, {"site": SITE, "c": c, "decisions": [adopted, rejected]})
    assert report["data"]["publishFeedbackReport"] | {"decisions": None} == {
        "adopted": 1,
        "partlyAdopted": 0,
        "notAdopted": 1,
        "decisions": None,
    }
    read = (await world.as_(None, READ, {"id": c, "state": "APPROVED"}))["data"]["consultation"]
    assert read["state"] == "CLOSED" and read["feedbackReport"]["adopted"] == 1
    assert {x["id"]: x["adoption"] for x in read["comments"]["items"]} == {keep: "ADOPTED", park: "NOT_ADOPTED"}
    again = await world.as_("editor", REPORT, {"site": SITE, "c": c, "decisions": [adopted, rejected]})
    assert code(again) == "CONFLICT"
    settled = await world.as_("editor", MODERATE, {"site": SITE, "id": park, "d": "HIDDEN", "why": "x"})
    assert code(settled) == "CONFLICT"


async def test_rate_limit_pending_comments_and_bad_input(world: World) -> None:
    c = await open_one(world, days=1)
    started = world.clock.at
    first = (await world.as_("busy", COMMENT, {"c": c, "body": "意见0"}))["data"]["submitConsultationComment"]
    twice = await world.as_("busy", COMMENT, {"c": c, "body": "意见0"})  # a double click: the same comment, once
    assert twice["data"]["submitConsultationComment"] == first
    for i in range(1, PER_HOUR):
        assert "errors" not in await world.as_("busy", COMMENT, {"c": c, "body": f"意见{i}"})
    over = await world.as_("busy", COMMENT, {"c": c, "body": "再来一条"})
    assert code(over) == "CONFLICT" and f"at most {PER_HOUR} comments an hour" in over["errors"][0]["message"]
    again = beijing_time(started + timedelta(hours=1))  # as the commenter reads a clock, not UTC
    assert f"you can comment again after {again} (Beijing time)" in over["errors"][0]["message"]
    world.clock.at += timedelta(hours=1, minutes=1)
    assert "errors" not in await world.as_("busy", COMMENT, {"c": c, "body": "一小时后"})
    for variables, expected, words in [
        ({"c": c, "body": "  "}, "BAD_INPUT", "body must not be empty"),
        ({"c": c, "body": "长" * 2001}, "BAD_INPUT", "at most 2000"),
        ({"c": "nope", "body": "x"}, "BAD_INPUT", "not a consultation id"),
        ({"c": str(uuid.uuid4()), "body": "x"}, "NOT_FOUND", "no consultation"),
    ]:
        body = await world.as_("zhang", COMMENT, variables)
        assert code(body) == expected and words in body["errors"][0]["message"], variables
    today = local_date(world.clock.at)
    for opens, closes, words in [
        (today, today - timedelta(days=1), "before opensOn"),
        (today - timedelta(days=9), today - timedelta(days=2), "in the past"),
    ]:
        body = await world.as_(
            "editor",
            OPEN,
            {"site": SITE, "title": "t", "body": "b", "opens": opens.isoformat(), "closes": closes.isoformat()},
        )
        assert code(body) == "BAD_INPUT" and words in body["errors"][0]["message"]
    pending = await world.as_("editor", MODERATE, {"site": SITE, "id": str(uuid.uuid4()), "d": "PENDING"})
    assert code(pending) == "BAD_INPUT" and "decision must be one of" in pending["errors"][0]["message"]
    world.clock.at += timedelta(days=2)  # closed, with comments nobody moderated
    body = await world.as_("editor", REPORT, {"site": SITE, "c": c, "decisions": []})
    assert code(body) == "BAD_INPUT" and f"{PER_HOUR + 1} comments await moderation" in body["errors"][0]["message"]
    listed = await gql(world.url, "query($s: ID) { consultations(site: $s, state: CLOSED) { total } }", {"s": SITE})
    assert listed["data"]["consultations"]["total"] >= 1


async def test_a_consultation_sent_twice_is_conflict_naming_the_first(world: World) -> None:
    today = local_date(world.clock.at)
    title = f"《物业管理办法（征求意见稿）》{RUN}"
    draft = {"site": SITE, "title": title, "body": "第一条……", "opens": today.isoformat()}
    draft["closes"] = (today + timedelta(days=30)).isoformat()
    listed = "query($s: ID) { consultations(site: $s) { total } }"
    first = (await world.as_("editor", OPEN, draft))["data"]["openConsultation"]["id"]
    before = (await gql(world.url, listed, {"s": SITE}))["data"]["consultations"]["total"]
    twice = await world.as_("editor", OPEN, draft)  # a double click: comments would split between two
    assert code(twice) == "CONFLICT" and f"stored already as consultation {first}" in twice["errors"][0]["message"]
    # Two at once are one too (the second waits for the first's lock, then finds it).
    later = draft | {"closes": (today + timedelta(days=31)).isoformat()}
    both = await asyncio.gather(*(world.as_("editor", OPEN, later) for _ in range(2)))
    assert sorted("made" if "errors" not in b else code(b) for b in both) == ["CONFLICT", "made"], both
    # Another text, or the same text over other dates, is another consultation.
    other = await world.as_("editor", OPEN, draft | {"body": "第一条（修改稿）……"})
    assert other["data"]["openConsultation"]["id"] not in (first, None)
    assert (await gql(world.url, listed, {"s": SITE}))["data"]["consultations"]["total"] == before + 2

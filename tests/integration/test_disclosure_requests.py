"""依申请公开: due on the 20th working day of the holiday calendar, extended once by 20 with a reason, answered
once by the unit's editors; the requester and the unit's editors see it, the counts are public. Votes: one
ballot per real-name person, while the vote is open."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from core.disclosure import requests as rq
from core.disclosure import site_id_of, votes
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.identity.principal import Principal, Role
from tests.integration.disclosure_fixtures import load_tree

pytestmark = pytest.mark.integration

V1, V2, T1 = "330602001201", "330602001202", "330602001000"
ARRIVED = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)  # a Friday in Beijing, before the National Day holiday
ASKER = Principal(user_id=uuid.uuid4(), username="villager", name="村民", real_name_level=2)
EDITOR = Principal(user_id=None, username="clerk", name="文书", roles=(Role(name="editor", site_id=site_id_of(V1)),))
OTHER = Principal(user_id=uuid.uuid4(), username="other", name="他人")


@pytest.fixture(scope="module")
async def units(pg_pool: asyncpg.Pool) -> list[str]:
    return await load_tree(pg_pool, "3306")


async def test_deadlines_count_working_days_and_extend_once(pg_pool: asyncpg.Pool, units: list[str]) -> None:
    request = {"unit": V1, "subject": "村道维修资金", "body": "请公开2024年村道维修资金使用明细"}
    asked = await rq.submit_request(pool=pg_pool, principal=ASKER, now=ARRIVED, **request)
    # 9/29 and 10/12 are 调休 working days, 10/1-10/7 the holiday: the 20th working day is 10/30
    assert asked.due == date(2024, 10, 30)
    # sent twice (a double click, a retry): the request already made
    again = await rq.submit_request(pool=pg_pool, principal=ASKER, now=ARRIVED, **request)
    assert again.id == asked.id
    with pytest.raises(Forbidden, match="made to unit 330602001201, not to unit 330602001202"):
        await rq.answer_request(pool=pg_pool, request_id=asked.id, unit=V2, answer="x", by="clerk", now=ARRIVED)
    late = datetime(2024, 10, 31, 2, tzinfo=UTC)
    with pytest.raises(Invalid, match="was due on 2024-10-30"):
        await rq.extend_request(pool=pg_pool, request_id=asked.id, unit=V1, reason="需要调取档案", now=late)
    extended = await rq.extend_request(pool=pg_pool, request_id=asked.id, unit=V1, reason="需要调取档案", now=ARRIVED)
    assert extended.due == date(2024, 11, 27) and extended.extension_reason == "需要调取档案"
    with pytest.raises(Conflict, match="one extension"):
        await rq.extend_request(pool=pg_pool, request_id=asked.id, unit=V1, reason="再延", now=ARRIVED)
    stats = await rq.request_stats(pool=pg_pool, unit=T1, now=datetime(2024, 11, 28, 2, tzinfo=UTC))
    assert (stats.total, stats.open, stats.overdue) == (1, 1, 1)
    answered = await rq.answer_request(
        pool=pg_pool,
        request_id=asked.id,
        unit=V1,
        answer="明细见附件",
        by="clerk",
        now=datetime(2024, 11, 20, 2, tzinfo=UTC),
    )
    assert not answered.late(date(2024, 12, 1))
    with pytest.raises(Conflict, match="answered already"):
        await rq.answer_request(pool=pg_pool, request_id=asked.id, unit=V1, answer="x", by="clerk", now=ARRIVED)
    assert (await rq.get_request(pool=pg_pool, principal=EDITOR, request_id=asked.id)).answer == "明细见附件"
    assert (await rq.get_request(pool=pg_pool, principal=ASKER, request_id=asked.id)).id == asked.id
    with pytest.raises(NotFound):
        await rq.get_request(pool=pg_pool, principal=OTHER, request_id=asked.id)
    with pytest.raises(Invalid, match="subject must not be empty"):
        await rq.submit_request(pool=pg_pool, principal=ASKER, unit=V1, subject=" ", body="x", now=ARRIVED)


async def test_one_ballot_per_real_name_person_while_the_vote_is_open(pg_pool: asyncpg.Pool, units: list[str]) -> None:
    closes = ARRIVED + timedelta(days=7)
    vote = await votes.create_vote(
        pool=pg_pool,
        unit=V1,
        title="村务监督委员会年度评议",
        options=["满意", "基本满意", "不满意"],
        closes_at=closes,
        by="clerk",
        now=ARRIVED,
    )
    counted = await votes.cast_ballot(pool=pg_pool, principal=ASKER, vote_id=vote.id, option="满意", now=ARRIVED)
    assert counted.counts == [1, 0, 0]
    with pytest.raises(Conflict, match="one ballot per person"):
        await votes.cast_ballot(pool=pg_pool, principal=ASKER, vote_id=vote.id, option="不满意", now=ARRIVED)
    with pytest.raises(Forbidden, match="real-name level 2"):
        await votes.cast_ballot(pool=pg_pool, principal=OTHER, vote_id=vote.id, option="满意", now=ARRIVED)
    voter = dataclasses.replace(OTHER, real_name_level=3)
    with pytest.raises(Invalid, match="option must be one of"):
        await votes.cast_ballot(pool=pg_pool, principal=voter, vote_id=vote.id, option="很好", now=ARRIVED)
    with pytest.raises(Conflict, match="not now"):
        await votes.cast_ballot(pool=pg_pool, principal=voter, vote_id=vote.id, option="满意", now=closes)
    assert (
        await votes.cast_ballot(pool=pg_pool, principal=voter, vote_id=vote.id, option="不满意", now=ARRIVED)
    ).counts == [1, 0, 1]
    with pytest.raises(Invalid, match="2-20 different options"):
        await votes.create_vote(
            pool=pg_pool, unit=V1, title="x", options=["是", "是"], closes_at=closes, by="c", now=ARRIVED
        )

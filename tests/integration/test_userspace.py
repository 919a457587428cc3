"""The user space against real Postgres and NATS: letters, deadlines, replies, publication, applications."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from core.applications import apply_updates, forward, get_application, list_applications
from core.applications.connector import check_update
from core.bus import ApplicationUpdated, Bus, LetterReplied, user_key
from core.documents import get_document
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.letters import Draft, list_letters, list_replies, reply_letter, submit_letter
from core.monitoring.facts import load_facts
from core.monitoring.thresholds import RULES_BY_NAME
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from ops.demo.applications import DemoApplications
from tests.integration.search_fixtures import make_site, running, site_consumers, site_hits, titles
from tests.integration.userspace_fixtures import person, progress
from tests.polling import eventually
from workers.applications import ApplicationsConsumer

pytestmark = pytest.mark.integration
NOW = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)  # Friday 27 September 2024, 10:00 in Beijing, before 国庆


def draft(site: str, **kw: object) -> Draft:
    values: dict[str, object] = {
        "site_id": site,
        "kind": "咨询",
        "department": "市人社局",
        "subject": "社保转移怎么办理",
        "body": "我叫张三，电话13812345678。从外省调回本市工作，养老保险如何转移？",
    }
    return Draft(**{**values, **kw})  # type: ignore[arg-type]


async def test_a_letter_gets_a_deadline_in_working_days_and_shows_in_the_writers_space(
    pg_pool: asyncpg.Pool, bus: Bus, settings: Settings
) -> None:
    site = await make_site(pg_pool)
    writer = await person(pg_pool, settings, NOW)
    letter = await submit_letter(
        pool=pg_pool, bus=bus, settings=settings, principal=writer.principal, draft=draft(site), now=NOW
    )
    # 咨询: 5 working days from Friday 27 September: Sun 29 (调休), Mon 30, then 8, 9, 10 October after 国庆.
    assert letter.due_on == date(2024, 10, 10) and not letter.replied and not letter.late
    complaint = await submit_letter(
        pool=pg_pool, bus=bus, settings=settings, principal=writer.principal, draft=draft(site, kind="投诉"), now=NOW
    )
    assert complaint.due_on == date(2024, 10, 23)  # 15 working days: Sat 12 October (调休) counts
    page = await list_letters(pool=pg_pool, user_id=writer.user_id, offset=0, limit=10, now=NOW)
    assert page.total == 2 and [x.id for x in page.items] == sorted([letter.id, complaint.id], reverse=True)
    other = await person(pg_pool, settings, NOW)
    assert (await list_letters(pool=pg_pool, user_id=other.user_id, offset=0, limit=10, now=NOW)).total == 0
    between = NOW + timedelta(days=20)  # 17 October: the 咨询 is past its deadline, the 投诉 is not
    late = {
        x.id: x.late
        for x in (await list_letters(pool=pg_pool, user_id=writer.user_id, offset=0, limit=10, now=between)).items
    }
    assert late == {letter.id: True, complaint.id: False}


async def test_the_site_decides_the_real_name_level_needed(pg_pool: asyncpg.Pool, bus: Bus, settings: Settings) -> None:
    site, strict = await make_site(pg_pool), await make_site(pg_pool)
    strict_settings = dataclasses.replace(settings, letter_site_levels=f"{strict}=3")
    level2 = await person(pg_pool, settings, NOW, level=2)
    level1 = await person(pg_pool, settings, NOW, level=1)
    with pytest.raises(Forbidden, match="need real-name level 2; your account is at level 1"):
        await submit_letter(
            pool=pg_pool, bus=bus, settings=settings, principal=level1.principal, draft=draft(site), now=NOW
        )
    with pytest.raises(Forbidden, match=f"letters on site {strict} need real-name level 3"):
        await submit_letter(
            pool=pg_pool, bus=bus, settings=strict_settings, principal=level2.principal, draft=draft(strict), now=NOW
        )
    ok = await submit_letter(
        pool=pg_pool, bus=bus, settings=strict_settings, principal=level2.principal, draft=draft(site), now=NOW
    )
    assert ok.site_id == site
    with pytest.raises(NotFound, match="no site with id 'no-such-site'"):
        await submit_letter(
            pool=pg_pool, bus=bus, settings=settings, principal=level2.principal, draft=draft("no-such-site"), now=NOW
        )
    with pytest.raises(Invalid, match="kind must be one of"):
        await submit_letter(
            pool=pg_pool,
            bus=bus,
            settings=settings,
            principal=level2.principal,
            draft=draft(site, kind="表扬"),
            now=NOW,
        )


async def test_a_replier_of_the_department_answers_once(pg_pool: asyncpg.Pool, bus: Bus, settings: Settings) -> None:
    site = await make_site(pg_pool)
    writer = await person(pg_pool, settings, NOW)
    letter = await submit_letter(
        pool=pg_pool, bus=bus, settings=settings, principal=writer.principal, draft=draft(site), now=NOW
    )
    wrong = await person(pg_pool, settings, NOW, replier_of="市住建局", name="住建局小李")
    right = await person(pg_pool, settings, NOW, replier_of="市人社局", name="人社局王科长")
    when = NOW + timedelta(days=3)
    args = {"pool": pg_pool, "bus": bus, "settings": settings, "letter_id": letter.id, "now": when}
    with pytest.raises(Forbidden, match="replier role of 市人社局"):
        await reply_letter(principal=wrong.principal, body="不归我们管", **args)
    with pytest.raises(Forbidden, match="replier role"):
        await reply_letter(principal=writer.principal, body="我自己回答", **args)
    with pytest.raises(Invalid, match="body must not be empty"):
        await reply_letter(principal=right.principal, body="  ", **args)
    answered = await reply_letter(principal=right.principal, body="请携带身份证到社保窗口办理转移。", **args)
    assert answered.replied and answered.reply_body.startswith("请携带") and not answered.late
    assert answered.published_url is None  # no consent: never published
    with pytest.raises(Conflict, match="answered already"):
        await reply_letter(principal=right.principal, body="再答一次", **args)
    # The same words again are a retry (its announcement may have failed after the commit): it succeeds, once.
    again = await reply_letter(principal=right.principal, body="请携带身份证到社保窗口办理转移。", **args)
    assert again.id == answered.id and again.replied_at == answered.replied_at
    with pytest.raises(NotFound, match="no letter"):
        await reply_letter(principal=right.principal, body="答复", **{**args, "letter_id": uuid.uuid4()})
    replies = await list_replies(pool=pg_pool, user_id=writer.user_id, offset=0, limit=10, now=when)
    assert [(x.id, x.replier_name) for x in replies.items] == [(letter.id, "人社局王科长")]


async def test_a_letter_published_with_consent_becomes_a_searchable_document_without_personal_data(
    pg_pool: asyncpg.Pool, bus: Bus, settings: Settings, tmp_path: Path
) -> None:
    site = await make_site(pg_pool)
    await pg_pool.execute(
        """update sites set config = '{"start_urls": ["https://rs.example.gov.cn/index.html"]}' where id = $1""", site
    )
    writer = await person(pg_pool, settings, NOW, name="张三")
    replier = await person(pg_pool, settings, NOW, replier_of="市人社局", name="王科长")
    letter = await submit_letter(
        pool=pg_pool,
        bus=bus,
        settings=settings,
        principal=writer.principal,
        draft=draft(site, consent_to_publish=True),
        now=NOW,
    )
    reader = TantivyEngine(tmp_path)
    await reader.open()
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(tmp_path), site)
    async with running(bus, indexer, projector):
        answered = await reply_letter(
            pool=pg_pool,
            bus=bus,
            settings=settings,
            principal=replier.principal,
            letter_id=letter.id,
            body="可通过社保转移平台办理，咨询电话12333。",
            now=NOW + timedelta(days=1),
        )
        # the portal's page (docs/portal.md), not the crawled site's origin, which has none
        assert answered.published_url == f"{settings.issuer}/letters/{letter.id}"
        found = await eventually(lambda: site_hits(reader, site, "养老保险转移"), lambda r: r.total == 1)
        assert list(titles(found)) == [answered.published_url]
    doc = await get_document(pg_pool, url=answered.published_url)
    assert doc.kind == "letter" and doc.title == "社保转移怎么办理" and "12333" in doc.text
    stored = f"{doc.title} {doc.text} {doc.metadata}"
    for personal in (writer.username, "13812345678", "王科长", str(writer.user_id)):
        assert personal not in stored


async def test_late_replies_reach_the_monitoring_interaction_rule(
    pg_pool: asyncpg.Pool, bus: Bus, settings: Settings
) -> None:
    site = await make_site(pg_pool)
    writer = await person(pg_pool, settings, NOW)
    replier = await person(pg_pool, settings, NOW, replier_of="市人社局")
    on_time, late, still_open = [
        await submit_letter(
            pool=pg_pool, bus=bus, settings=settings, principal=writer.principal, draft=draft(site, subject=s), now=NOW
        )
        for s in ("按时答复", "超期答复", "一直未答")
    ]
    for letter, days in ((on_time, 3), (late, 20)):
        await reply_letter(
            pool=pg_pool,
            bus=bus,
            settings=settings,
            principal=replier.principal,
            letter_id=letter.id,
            body="已答复",
            now=NOW + timedelta(days=days),
        )
    inspected_at = NOW + timedelta(days=30)
    facts = await load_facts(pg_pool, site, inspected_at)
    assert len(facts.letters) == 3
    rule = RULES_BY_NAME["interaction_unanswered"]
    result = rule.evaluate(facts, rule.settings({}), inspected_at)
    assert {f.key for f in result.findings} == {f"letter:{late.id}#late", f"letter:{still_open.id}#late"}
    assert not result.vetoed and result.deduction == 1.0
    public = " ".join(f"{f.summary} {f.evidence}" for f in result.findings)
    for subject in ("超期答复", "一直未答"):  # findings are public: no words of an unpublished letter
        assert subject not in public
    assert f"编号 {str(late.id)[:8]}" in public and "市人社局" in public
    a_year_on = await load_facts(pg_pool, site, NOW + timedelta(days=30 + 400))
    assert [x.letter_id for x in a_year_on.letters] == [str(still_open.id)], "answered long ago: not inspected"


async def test_applications_keep_the_newest_state_whatever_the_order(pg_pool: asyncpg.Pool) -> None:
    username = f"u{secrets.token_hex(5)}"
    steps = [
        progress(username, "A-1", 1, "受理", "2024-09-02T09:00:00+08:00"),
        progress(username, "A-1", 2, "审查", "2024-09-03T10:00:00+08:00"),
        progress(username, "A-1", 3, "决定", "2024-09-05T15:00:00+08:00"),
        progress(username, "A-1", 4, "办结", "2024-09-06T11:00:00+08:00", note="证件已邮寄"),
    ]
    async with pg_pool.acquire() as conn, conn.transaction():
        assert [u.seq for u in await apply_updates(conn, [steps[2]])] == [3]
        # Older steps arriving late do not turn the application back; a repeat changes nothing.
        assert await apply_updates(conn, [steps[0], steps[1], steps[2]]) == []
    page = await list_applications(pool=pg_pool, username=username, offset=0, limit=10)
    (app,) = page.items
    assert (app.stage, app.seq) == ("决定", 3)
    assert [s.stage for s in app.steps] == ["受理", "审查", "决定"]
    assert app.submitted_at == datetime(2024, 9, 2, 1, 0, tzinfo=UTC)  # the earliest step, though it came last
    async with pg_pool.acquire() as conn, conn.transaction():
        assert [u.seq for u in await apply_updates(conn, [steps[3], steps[3]])] == [4]
    (app,) = (await list_applications(pool=pg_pool, username=username, offset=0, limit=10)).items
    assert (app.stage, app.note, [s.seq for s in app.steps]) == ("办结", "证件已邮寄", [1, 2, 3, 4])


async def test_an_application_is_read_with_its_steps_as_of_one_moment(pg_pool: asyncpg.Pool) -> None:
    """A reader (the live feed, `me`) never sees the state of one step beside the steps of the next: the row and its
    steps are read in one snapshot while the consumer keeps committing new steps."""
    username = f"u{secrets.token_hex(5)}"
    moves = [
        progress(username, "A-9", n, f"第{n}步", f"2024-09-02T{9 + n // 60:02d}:{n % 60:02d}:00+08:00")
        for n in range(1, 61)
    ]
    torn: list[tuple[str, list[str]]] = []

    async def write() -> None:
        for move in moves:
            async with pg_pool.acquire() as conn, conn.transaction():
                await apply_updates(conn, [move])

    async def read() -> None:
        while len(torn) < 1000:
            app = await get_application(pool=pg_pool, platform="zwfw", application_id="A-9")
            if app is not None and app.stage != app.steps[-1].stage:
                torn.append((app.stage, [s.stage for s in app.steps]))
            if app is not None and app.seq == len(moves):
                return
            await asyncio.sleep(0)

    await asyncio.gather(write(), read(), read())
    assert torn == [], torn[:3]


async def test_a_bad_application_update_is_refused() -> None:
    bad = progress("someone", "A-2", -1, "受理", "2024-09-02T09:00:00+08:00")
    with pytest.raises(Invalid, match="seq must be a whole number"):
        check_update(bad)


async def test_the_consumer_stores_updates_from_nats_idempotently(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    username = f"u{secrets.token_hex(5)}"
    consumer = ApplicationsConsumer(pg_pool, bus)
    consumer.name, consumer.subject = f"applications-{username}", f"{ApplicationUpdated.SUBJECT}.{user_key(username)}"
    updates = [
        progress(username, "B-7", 2, "审查", "2024-09-03T10:00:00+08:00"),
        progress(username, "B-7", 1, "受理", "2024-09-02T09:00:00+08:00"),
        progress(username, "B-7", 3, "决定", "2024-09-05T15:00:00+08:00"),
    ]
    async with running(bus, consumer) as runners:
        for u in (*updates, updates[0], updates[2]):  # duplicates: dropped by JetStream (same key) or by the store
            await bus.publish(u)

        async def stored() -> tuple[str, int] | None:
            page = await list_applications(pool=pg_pool, username=username, offset=0, limit=10)
            return (page.items[0].stage, len(page.items[0].steps)) if page.items else None

        assert await eventually(stored, lambda s: s == ("决定", 3), what="the newest state stored") == ("决定", 3)
        # The same fact published again after the duplicate window would pass JetStream: the store still drops it.
        async with pg_pool.acquire() as conn, conn.transaction():
            assert await apply_updates(conn, updates) == []
        assert runners[0].stats.dead_lettered == 0


async def test_a_reply_is_announced_to_its_writer_only(pg_pool: asyncpg.Pool, bus: Bus, settings: Settings) -> None:
    site = await make_site(pg_pool)
    writer = await person(pg_pool, settings, NOW)
    replier = await person(pg_pool, settings, NOW, replier_of="市人社局")
    letter = await submit_letter(
        pool=pg_pool, bus=bus, settings=settings, principal=writer.principal, draft=draft(site), now=NOW
    )
    await reply_letter(
        pool=pg_pool, bus=bus, settings=settings, principal=replier.principal, letter_id=letter.id, body="答复", now=NOW
    )
    msg = await bus.js.get_last_msg("YW_USER", f"{LetterReplied.SUBJECT}.{user_key(writer.username)}")
    event = LetterReplied.decode(msg.data)
    assert (event.letter_id, event.username, event.department) == (str(letter.id), writer.username, "市人社局")


async def test_the_demo_connector_fills_the_demo_citizens_applications(pg_pool: asyncpg.Pool, bus: Bus) -> None:
    username = f"demo{secrets.token_hex(4)}"
    consumer = ApplicationsConsumer(pg_pool, bus)
    consumer.name, consumer.subject = f"applications-{username}", f"{ApplicationUpdated.SUBJECT}.{user_key(username)}"
    async with running(bus, consumer):
        sent = await forward(DemoApplications(username), bus)

        async def stages() -> list[str]:
            page = await list_applications(pool=pg_pool, username=username, offset=0, limit=10)
            return sorted(a.stage for a in page.items)

        assert await eventually(stages, lambda s: s == ["办结", "办结", "审查"]) == ["办结", "办结", "审查"]
    assert sent == 10

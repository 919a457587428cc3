"""The disclosure-notify consumer re-sends on a timer what a crashed writer left in the outbox: the owed
announcement reaches NATS and the unit's subscribers with no new event, and a tick that fails while NATS or
Postgres is away is logged and tried again, the loop going on."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from core import disclosure as dx
from core.bus import Bus, disclosure_subject
from core.disclosure import notices
from core.errors import Upstream
from tests.integration.disclosure_fixtures import load_tree
from tests.integration.search_fixtures import running
from tests.polling import eventually
from workers.disclosure_notify import DisclosureNotify

pytestmark = pytest.mark.integration

CITY = "3381"  # a city of its own: no other module's items or outbox rows
T1, V1, V2 = f"{CITY}02001000", f"{CITY}02001201", f"{CITY}02001202"
TICK_S = 0.2  # DISCLOSURE_OUTBOX_RESEND_S for these tests (30 s by default)


class CrashingBus:
    """The writer dies between the commit and the publish: nothing reaches NATS."""

    async def publish(self, event: object) -> int:
        raise ConnectionError("the process died after the commit")


class AwayAtFirstBus:
    """Stands in for an outage we do not stage here (NATS, then Postgres, unreachable for the first two
    publishes); after that every publish goes to the real NATS."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.outages: list[Exception] = [
            Upstream("could not publish for 30 s: nats away"),
            asyncpg.CannotConnectNowError("the database system is starting up"),
        ]

    async def publish(self, event: Any) -> int:
        if self.outages:
            raise self.outages.pop(0)
        return await self.bus.publish(event)


def consumer_of(pool: asyncpg.Pool, bus: Any, unit: str) -> DisclosureNotify:
    """The real consumer under a durable of its own that reads only `unit`'s items, ticking fast."""
    consumer = DisclosureNotify(pool, bus, resend_every_s=TICK_S)
    consumer.name, consumer.subject = f"disclosure-notify-{unit}", disclosure_subject(dx.ancestors(unit))
    return consumer


async def crashed_writer(pool: asyncpg.Pool, unit: str, title: str) -> UUID:
    """An item committed a minute ago by a writer that died before announcing it: its outbox row is left."""
    at = datetime.now(UTC) - 2 * notices.OUTBOX_AGE
    draft = dx.ItemDraft(
        unit_code=unit, category="财务", period="2024-06", dated=date(2024, 6, 3), title=title, body=""
    )
    with pytest.raises(ConnectionError):
        await dx.create_item(pool=pool, bus=CrashingBus(), draft=draft, publish=True, by="t", now=at)  # type: ignore[arg-type]
    item_id = await pool.fetchval("select item_id from disclosure_outbox where unit_code = $1", unit)
    assert item_id is not None, "the announcement is owed"
    return UUID(str(item_id))


async def notified(pool: asyncpg.Pool, user: UUID) -> list[tuple[str, int, str, bool]]:
    rows = await pool.fetch(
        "select title, revision, change, delivered_at from disclosure_notifications where user_id = $1", user
    )
    return [(r["title"], r["revision"], r["change"], r["delivered_at"] is not None) for r in rows]


def delivered(rows: list[tuple[str, int, str, bool]]) -> bool:
    return bool(rows) and all(shown for *_, shown in rows)


@pytest.fixture(scope="module")
async def tree(pg_pool: asyncpg.Pool) -> None:
    await load_tree(pg_pool, CITY)


async def test_an_owed_announcement_goes_out_on_the_timer_without_any_new_event(
    tree: None, pg_pool: asyncpg.Pool, bus: Bus
) -> None:
    resident = uuid4()
    await notices.subscribe(pool=pg_pool, user_id=resident, unit=T1)
    item_id = await crashed_writer(pg_pool, V1, "六月和平村收支")
    async with running(bus, consumer_of(pg_pool, bus, V1)):
        # no event is published by anyone: only the consumer's timer can announce the row
        got = await eventually(partial(notified, pg_pool, resident), delivered, timeout=10, what="the notification")
    assert got == [("六月和平村收支", 1, "published", True)]
    assert await pg_pool.fetchval("select count(*) from disclosure_outbox where item_id = $1", item_id) == 0


async def test_a_tick_failing_while_nats_or_postgres_is_away_is_logged_and_tried_again(
    tree: None, pg_pool: asyncpg.Pool, bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    resident = uuid4()
    await notices.subscribe(pool=pg_pool, user_id=resident, unit=V2)
    await crashed_writer(pg_pool, V2, "六月永安村收支")
    flaky = AwayAtFirstBus(bus)
    with caplog.at_level(logging.WARNING, logger="core.bus.consumer"):
        async with running(bus, consumer_of(pg_pool, flaky, V2)):
            got = await eventually(partial(notified, pg_pool, resident), delivered, timeout=10, what="the notification")
    assert got == [("六月永安村收支", 1, "published", True)] and not flaky.outages
    ticks = [r for r in caplog.records if r.getMessage().startswith("tick")]
    assert [r.levelno for r in ticks] == [logging.WARNING, logging.WARNING], "an outage is a warning, not an error"

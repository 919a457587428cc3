"""What one disclosure answer shows is read as of one moment while writers keep committing: a project's stage and
its stages, a page of projects or items and its total, a project's spent beside its spending and an item's revision
beside its revisions."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import aiohttp
import asyncpg
import pytest

from core import disclosure as dx
from core.bus import Bus
from core.disclosure import notices
from core.disclosure.models import STAGES
from core.disclosure.publication import announcement
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.disclosure_fixtures import load_tree

pytestmark = pytest.mark.integration

CITY = "3387"  # a 市 of its own: no other module's projects or items in its roll-ups
TOWNSHIP, VILLAGE = f"{CITY}02001000", f"{CITY}02001201"
OTHER_TOWNSHIP, OTHER_VILLAGE = f"{CITY}02002000", f"{CITY}02002201"  # the notifications' own
TODAY = date(2024, 6, 1)
NOW = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
MAY_31 = date(2024, 5, 31)
READS = 1000  # at most, per reader: enough to meet the writer between two statements many times
FUND_READ = "query($id: ID!) { fundProject(id: $id) { spent spending { amount } } }"
FUNDS_READ = "query($code: String!) { unit(code: $code) { funds { items { spent spending { amount } } } } }"
ITEM_READ = "query($id: ID!) { disclosureItem(id: $id) { revision title revisions { revision title } } }"


@pytest.fixture(scope="module")
async def units(pg_pool: asyncpg.Pool) -> list[str]:
    return await load_tree(pg_pool, CITY)


def project(n: int) -> dx.FundDraft:
    return dx.FundDraft(
        unit_code=VILLAGE, name=f"道路硬化项目{n}", category="基础设施", source="区", amount="1000", year=2024
    )


async def test_a_project_is_read_with_its_stages_as_of_one_moment(pg_pool: asyncpg.Pool, units: list[str]) -> None:
    """A reader (`fundProject`, the answer of `moveFundStage`) never sees a project at one stage beside the stages
    of another: the row and its stages are read in one snapshot while projects keep moving on."""
    funds = [await dx.save_fund(pool=pg_pool, draft=project(n), today=TODAY) for n in range(15)]
    moving = [funds[0]]
    torn: list[tuple[str, list[str]]] = []
    done = False

    async def write() -> None:
        nonlocal done
        for f in funds:
            moving[0] = f
            for stage in STAGES[1:]:
                await dx.move_stage(pool=pg_pool, fund_id=f.id, stage=stage, on=TODAY)
        done = True

    async def read() -> None:
        while not done and len(torn) < READS:
            f = await dx.get_fund(pool=pg_pool, fund_id=moving[0].id)
            if f.stage != f.stages[-1][0]:
                torn.append((f.stage, [s for s, _ in f.stages]))
            await asyncio.sleep(0)

    await asyncio.gather(write(), read(), read())
    assert torn == [], torn[:3]


async def test_a_page_of_projects_agrees_with_its_total(pg_pool: asyncpg.Pool, units: list[str]) -> None:
    """The projects listed and the total beside them (`unit.funds`) are read in one snapshot: a project saved
    between the page and the roll-up is in both or in neither."""
    torn: list[tuple[int, int]] = []
    done = False

    async def write() -> None:
        nonlocal done
        for n in range(40):
            await dx.save_fund(pool=pg_pool, draft=project(100 + n), today=TODAY)
        done = True

    async def read(unit: str) -> None:
        while not done and len(torn) < READS:
            page = await dx.list_funds(pool=pg_pool, unit=unit, stage=None, offset=0, limit=100)
            if len(page.items) != page.total:
                torn.append((len(page.items), page.total))
            await asyncio.sleep(0)

    await asyncio.gather(write(), read(VILLAGE), read(TOWNSHIP))
    assert torn == [], torn[:3]


async def test_a_page_of_items_agrees_with_its_total(pg_pool: asyncpg.Pool, bus: Bus, units: list[str]) -> None:
    """The items listed and the total beside them (`disclosureItems`, a unit's own and with `below`) are read in one
    snapshot: an item published between the count and the page is in both or in neither."""
    torn: list[tuple[bool, int, int]] = []
    done = False

    async def write() -> None:
        nonlocal done
        for n in range(40):
            unit = TOWNSHIP if n % 2 else VILLAGE
            draft = dx.ItemDraft(
                unit_code=unit, category="财务", period="2024-05", dated=MAY_31, title=f"五月收支{n}", body="公开"
            )
            await dx.create_item(pool=pg_pool, bus=bus, draft=draft, publish=True, by="t", now=NOW)
        done = True

    async def read(below: bool) -> None:
        while not done and len(torn) < READS:
            page = await dx.list_items(pool=pg_pool, unit=TOWNSHIP, below=below, offset=0, limit=100)
            if len(page.items) != page.total:
                torn.append((below, len(page.items), page.total))
            await asyncio.sleep(0)

    await asyncio.gather(write(), read(False), read(True))
    assert torn == [], torn[:3]


async def test_a_residents_notifications_agree_with_their_total(
    pg_pool: asyncpg.Pool, bus: Bus, units: list[str]
) -> None:
    """A resident's notifications and the total beside them (`me { disclosureNotifications }`) are read in one
    snapshot while the fan-out keeps notifying: one made between the count and the page is in both or in neither."""
    resident = uuid4()
    await notices.subscribe(pool=pg_pool, user_id=resident, unit=OTHER_TOWNSHIP)
    torn: list[tuple[int, int]] = []
    done = False

    async def write() -> None:
        nonlocal done
        for n in range(40):
            draft = dx.ItemDraft(
                unit_code=OTHER_VILLAGE,
                category="党务",
                period="2024-05",
                dated=MAY_31,
                title=f"五月党务{n}",
                body="公开",
            )
            item = await dx.create_item(pool=pg_pool, bus=bus, draft=draft, publish=True, by="t", now=NOW)
            event = announcement(item, "published", NOW)
            await notices.fan_out(pool=pg_pool, notifier=notices.InboxNotifier(), events=[event], now=NOW)
        done = True

    async def read() -> None:
        while not done and len(torn) < READS:
            page = await notices.notices(pool=pg_pool, user_id=resident, offset=0, limit=100)
            if len(page.items) != page.total:
                torn.append((len(page.items), page.total))
            await asyncio.sleep(0)

    await asyncio.gather(write(), read(), read())
    assert torn == [], torn[:3]
    assert (await notices.notices(pool=pg_pool, user_id=resident, offset=0, limit=100)).total == 40


async def test_a_summary_agrees_with_the_list_beside_it(
    settings: Settings, pg_pool: asyncpg.Pool, bus: Bus, units: list[str]
) -> None:
    """Over GraphQL, a project's `spent` beside its `spending` (alone and on a unit's page) and an item's `revision`
    beside its `revisions` are of one moment while payments are recorded and the item is edited: the total is the
    sum of the payments listed, the newest revision listed is the one shown."""
    quiet = f"{CITY}02001202"  # a village no other test here writes to
    funds = [
        await dx.save_fund(pool=pg_pool, draft=dataclasses.replace(project(n), unit_code=quiet), today=TODAY)
        for n in range(900, 903)
    ]

    def draft(n: int) -> dx.ItemDraft:
        return dx.ItemDraft(unit_code=quiet, category="财务", period="2024-05", dated=MAY_31, title=f"收支{n}", body="")

    item = await dx.create_item(pool=pg_pool, bus=bus, draft=draft(0), publish=True, by="t", now=NOW)
    torn: list[tuple[str, object]] = []
    writing = 2

    async def pay() -> None:
        nonlocal writing
        for n in range(45):
            payment = dx.SpendingDraft(amount="10", spent_on=TODAY, payee=f"施工队{n}")
            await dx.add_spending(pool=pg_pool, fund_id=funds[n % 3].id, draft=payment)
        writing -= 1

    async def edit() -> None:
        nonlocal writing
        for n in range(1, 41):
            await dx.edit_item(pool=pg_pool, bus=bus, item_id=item.id, draft=draft(n), reason="更正", by="t", now=NOW)
        writing -= 1

    def check_project(where: str, p: dict[str, Any]) -> None:
        if Decimal(p["spent"]) != sum((Decimal(s["amount"]) for s in p["spending"]), Decimal(0)):
            torn.append((where, (p["spent"], [s["amount"] for s in p["spending"]])))

    async def read(url: str) -> None:
        async with aiohttp.ClientSession() as s:

            async def data(query: str, **variables: object) -> dict[str, Any]:
                async with s.post(f"{url}/graphql", json={"query": query, "variables": variables}) as r:
                    body = await r.json()
                assert not body.get("errors"), body
                return dict(body["data"])

            while writing and len(torn) < READS:
                check_project("fundProject", (await data(FUND_READ, id=str(funds[0].id)))["fundProject"])
                for p in (await data(FUNDS_READ, code=quiet))["unit"]["funds"]["items"]:
                    check_project("unit.funds", p)
                shown = (await data(ITEM_READ, id=str(item.id)))["disclosureItem"]
                newest = shown["revisions"][0]
                if (newest["revision"], newest["title"]) != (shown["revision"], shown["title"]):
                    torn.append(("disclosureItem", (shown["revision"], newest["revision"])))

    async with serve_api(settings) as url:
        await asyncio.gather(pay(), edit(), read(url), read(url))
    assert torn == [], (sorted({where for where, _ in torn}), torn[:3])

"""Village special-fund projects (村级专项资金): stages, spending with vouchers, and collective resources and assets.
Every change updates the roll-ups of the village and everything above it in its own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from core.disclosure import funds_store as fs
from core.disclosure import store
from core.disclosure.hierarchy import check_code, level_of, subtree
from core.disclosure.items import check_owner, external_id, text_field
from core.disclosure.models import STAGES, Asset, BlobRef, Fund, Page, Payments, Spending
from core.disclosure.periods import FIRST_YEAR
from core.disclosure.rollups import Contribution, Deltas, asset_part, fund_part
from core.disclosure.values import parse_amount, parse_kind, parse_source, parse_stage, parse_year
from core.errors import Conflict, Invalid, NotFound

NAME_MAX = 200
CATEGORY_MAX = 32


def village(code: str) -> str:
    code = check_code(code)
    if level_of(code) != "村社区":
        raise Invalid(f"unit {code} is a {level_of(code)}: fund projects, resources and assets belong to a 村社区")
    return code


@dataclass(frozen=True, kw_only=True)
class FundDraft:
    """A fund project as an editor or an import row gives it."""

    unit_code: str
    name: str
    category: str
    source: str
    amount: object
    stage: str | None = "立项"  # None: a project changed keeps its stage (a new one is at 立项)
    year: object = 2024
    stage_on: date | None = None
    external_id: str | None = None

    def check(self) -> dict[str, Any]:
        return {
            "unit_code": village(self.unit_code),
            "name": text_field("name", self.name, NAME_MAX),
            "category": text_field("category", self.category, CATEGORY_MAX),
            "source": parse_source(self.source),
            "amount": parse_amount(self.amount),
            "stage": None if self.stage is None else parse_stage(self.stage),
            "year": parse_year(self.year),
            "stage_on": self.stage_on,
            "external_id": external_id(self.external_id),
        }


@dataclass(frozen=True, kw_only=True)
class SpendingDraft:
    """One payment of a project and its vouchers."""

    amount: object
    spent_on: date
    payee: str = ""
    note: str = ""
    vouchers: list[BlobRef] = field(default_factory=list)
    external_id: str | None = None

    def check(self, today: date | None = None) -> dict[str, Any]:
        return {
            "amount": parse_amount(self.amount, positive=True),
            "spent_on": _spent_on(self.spent_on, today),
            "payee": text_field("payee", self.payee, NAME_MAX, empty=True),
            "note": text_field("note", self.note, 1000, empty=True),
            "vouchers": list(self.vouchers),
            "external_id": external_id(self.external_id),
        }


def _spent_on(day: date, today: date | None) -> date:
    """A payment's day: within a register's years, and made already when `today` is known."""
    if today is not None and day > today:
        raise Invalid(f"spending date {day} is after today ({today}): record a payment once it is made")
    if day.year < FIRST_YEAR:
        raise Invalid(f"spending date {day} is before {FIRST_YEAR}: a year typed wrong?")
    return day


def fund_contribution(f: Fund | None) -> Contribution:
    if f is None:
        return {}
    return fund_part(f.unit_code, category=f.category, source=f.source, stage=f.stage, amount=f.amount, spent=f.spent)


async def apply_change(conn: asyncpg.Connection, old: Contribution, new: Contribution) -> None:
    deltas = Deltas.empty()
    deltas.change(old, new)
    await store.apply_deltas(conn, deltas.rows())


async def _locked(conn: asyncpg.Connection, fund_id: UUID, unit_code: str | None = None) -> Fund:
    found = await fs.get_fund(conn, fund_id, lock=True)
    if found is None:
        raise NotFound(f"no fund project with id {fund_id}")
    check_owner("fund project", fund_id, found.unit_code, unit_code)
    return found


async def save_fund(*, pool: asyncpg.Pool, draft: FundDraft, today: date, fund_id: UUID | None = None) -> Fund:
    """Create a project (or change it: the one of `fund_id`, else the unit's one with the draft's external id, as
    an import does); its amount may not fall below what it spent already, and its stage only moves on (a draft
    without one keeps the project's)."""
    v = draft.check()
    async with pool.acquire() as conn, conn.transaction():
        if await store.get_unit(conn, v["unit_code"]) is None:
            raise NotFound(f"no unit with code {v['unit_code']}")
        old = await _locked(conn, fund_id, v["unit_code"]) if fund_id else None
        if old is None and v["external_id"]:
            old = (await fs.funds_by_external_id(conn, [v["external_id"]])).get(v["external_id"])
            if old is not None:  # another unit's project is not this editor's to change
                check_owner("fund project", old.id, old.unit_code, v["unit_code"])
        if old is not None and v["amount"] < old.spent:
            raise Invalid(f"amount {v['amount']} is below what the project spent already ({old.spent})")
        if v["stage"] is None:
            v["stage"] = old.stage if old is not None else STAGES[0]
        elif old is not None and STAGES.index(v["stage"]) < STAGES.index(old.stage):
            raise Invalid(f"project {old.id} is at {old.stage}; stages only move on ({' → '.join(STAGES)})")
        try:
            new = await (fs.update_fund(conn, old.id, v) if old else fs.insert_fund(conn, v))
        except asyncpg.UniqueViolationError:
            raise Conflict(f"a fund project with external id {v['external_id']} exists already") from None
        if old is None or old.stage != new.stage:
            await fs.enter_stage(conn, new.id, new.stage, v["stage_on"] or today)
        await apply_change(conn, fund_contribution(old), fund_contribution(new))
    return await get_fund(pool=pool, fund_id=new.id)


async def move_stage(
    *, pool: asyncpg.Pool, fund_id: UUID, stage: str, on: date, unit_code: str | None = None, today: date | None = None
) -> Fund:
    """Move a project on to a later stage (立项 → 公示 → 实施 → 验收 → 结算) on `on`: not before a stage it reached
    (its stages read in order of time too), nor after `today` when given; a move back is Invalid."""
    stage = parse_stage(stage)
    if today is not None and on > today:
        raise Invalid(f"on {on} is after today ({today}): record a stage once the project has reached it")
    async with pool.acquire() as conn, conn.transaction():
        old = await _locked(conn, fund_id, unit_code)
        if STAGES.index(stage) < STAGES.index(old.stage):
            raise Invalid(f"project {fund_id} is at {old.stage}; stages only move on ({' → '.join(STAGES)})")
        reached = max((day for _, day in old.stages), default=None)
        if stage != old.stage and reached is not None and on < reached:
            raise Invalid(
                f"project {fund_id} reached {old.stage} on {reached}: it cannot move on to {stage} earlier, on {on}"
            )
        if stage != old.stage:
            values = {k: getattr(old, k) for k in ("name", "category", "source", "amount", "year")}
            new = await fs.update_fund(conn, fund_id, {**values, "stage": stage})
            await fs.enter_stage(conn, fund_id, stage, on)
            await apply_change(conn, fund_contribution(old), fund_contribution(new))
    return await get_fund(pool=pool, fund_id=fund_id)


async def delete_fund(*, pool: asyncpg.Pool, fund_id: UUID, unit_code: str | None = None) -> None:
    """Remove a project with its spending (a project entered by mistake), and its share of every roll-up."""
    async with pool.acquire() as conn, conn.transaction():
        old = await _locked(conn, fund_id, unit_code)
        await fs.delete_fund(conn, fund_id)
        await apply_change(conn, fund_contribution(old), {})


async def add_spending(
    *, pool: asyncpg.Pool, fund_id: UUID, draft: SpendingDraft, unit_code: str | None = None, today: date | None = None
) -> Spending:
    """Record a payment (made by `today` when given); what a project spends may not pass its amount."""
    v = draft.check(today)
    async with pool.acquire() as conn, conn.transaction():
        old = await _locked(conn, fund_id, unit_code)
        if old.spent + v["amount"] > old.amount:
            raise Invalid(
                f"spending {v['amount']} would take project {fund_id} to {old.spent + v['amount']}, past its "
                f"amount {old.amount}"
            )
        try:
            spent = await fs.add_spending(conn, {**v, "fund_id": fund_id})
        except asyncpg.UniqueViolationError:
            raise Conflict(f"a spending record with external id {v['external_id']} exists already") from None
        new = await fs.add_spent(conn, fund_id, v["amount"])
        await apply_change(conn, fund_contribution(old), fund_contribution(new))
    return spent


async def get_fund(*, pool: asyncpg.Pool, fund_id: UUID) -> Fund:
    """The project with its stages, read in one snapshot: the row and the stages are two statements, and a stage
    moved between them would show the project at one stage beside another stage's history."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        found = await fs.get_fund(conn, fund_id)
    if found is None:
        raise NotFound(f"no fund project with id {fund_id}")
    return found


async def funds_payments(*, pool: asyncpg.Pool, fund_ids: Sequence[UUID]) -> dict[UUID, Payments]:
    """What each project spent beside the payments that make it up, read together: read apart (the total with the
    project, the payments later), a payment recorded in between showed under a total without it. A project not
    found (deleted) has spent nothing and has no payments."""
    found = await fs.payments_of_funds(pool, fund_ids)
    return {i: found.get(i) or Payments(spent=Decimal(0)) for i in fund_ids}


async def list_funds(*, pool: asyncpg.Pool, unit: str, stage: str | None, offset: int, limit: int) -> Page[Fund]:
    """Projects of the villages under a unit (or of the village itself), the newest year first."""
    code, stage = check_code(unit), parse_stage(stage) if stage else None
    # The total is the unit's roll-up (itself and everything below, kept in each change's transaction), not a
    # count of every project under a city per request; read with the page in one snapshot, so a project saved
    # in between is in both or in neither.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        found = await fs.funds_page(conn, codes=subtree(code), stage=stage, offset=offset, limit=limit)
        (total,) = await store.rollup_counts(conn, [code], f"funds:stage:{stage}" if stage else "funds")
    return Page(items=found, total=total)


@dataclass(frozen=True, kw_only=True)
class AssetDraft:
    """A collective resource (an area in 亩) or asset (a value in 元) of a village."""

    unit_code: str
    kind: str
    name: str
    category: str = ""
    area: object = 0
    value: object = 0
    external_id: str | None = None

    def check(self) -> dict[str, Any]:
        return {
            "unit_code": village(self.unit_code),
            "kind": parse_kind(self.kind),
            "name": text_field("name", self.name, NAME_MAX),
            "category": text_field("category", self.category, CATEGORY_MAX, empty=True),
            "area": parse_amount(self.area, what="area"),
            "value": parse_amount(self.value, what="value"),
            "external_id": external_id(self.external_id),
        }


def asset_contribution(a: Asset | None) -> Contribution:
    return asset_part(a.unit_code, kind=a.kind, area=a.area, value=a.value) if a else {}


async def save_asset(*, pool: asyncpg.Pool, draft: AssetDraft) -> Asset:
    """Add a resource or asset (or replace the one with the same external id)."""
    v = draft.check()
    async with pool.acquire() as conn, conn.transaction():
        if await store.get_unit(conn, v["unit_code"]) is None:
            raise NotFound(f"no unit with code {v['unit_code']}")
        old = (await fs.assets_by_external_id(conn, [v["external_id"]])).get(v["external_id"] or "")
        new = await fs.upsert_asset(conn, v)
        await apply_change(conn, asset_contribution(old), asset_contribution(new))
    return new

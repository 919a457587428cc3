"""Applying checked import rows of one batch in one transaction: new rows in bulk, changed rows one by one, the
roll-up deltas of the whole batch at once. A row that cannot be applied raises, and the importer then applies
the batch row by row, so one bad row never takes good ones with it and nothing is half-applied."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from core.disclosure import bulk_store, notice_store, store
from core.disclosure import funds_store as fs
from core.disclosure.boards import metric as item_metric
from core.disclosure.funds import asset_contribution, fund_contribution
from core.disclosure.items import same_content
from core.disclosure.models import Asset, Fund, Item
from core.disclosure.rollups import Deltas, fund_part, item_part
from core.errors import Invalid


@dataclass
class Outcome:
    """What a batch did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    announcements: list[tuple[Item, str]] = field(default_factory=list)  # announced after commit


def _item_row(item_id: uuid.UUID, v: dict[str, Any]) -> tuple[Any, ...]:
    p = v["period"]
    return (
        item_id,
        v["external_id"],
        v["unit_code"],
        v["board"],
        v["category"],
        p.label,
        p.start,
        p.end,
        v["dated"],
        v["title"],
        v["body"],
    )


async def apply_items(
    conn: asyncpg.Connection, rows: list[dict[str, Any]], *, now: datetime, by: str, announce: bool = True
) -> Outcome:
    """New rows inserted and changed rows updated (a new revision each) in a few set-based statements."""
    out, deltas = Outcome(), Deltas.empty()
    existing = await store.items_by_external_id(conn, [v["external_id"] for v in rows])
    fresh, changed, olds = [], [], {}
    counts: Counter[tuple[str, str]] = Counter()
    for v in rows:
        old = existing.get(v["external_id"])
        if old is None:
            fresh.append(v)
            counts[(v["unit_code"], item_metric(v["board"], v["category"]))] += 1
            continue
        if old.unit_code != v["unit_code"]:
            raise Invalid(f"external id {v['external_id']} is an item of unit {old.unit_code}, not {v['unit_code']}")
        if same_content(old, {**v, "attachments": old.attachments}):
            out.unchanged += 1
            continue
        changed.append(_item_row(old.id, v))
        olds[old.id] = old
    for (unit, metric), n in counts.items():
        deltas.count(unit, metric, n)
        deltas.count(unit, "items", n)
    for new in await bulk_store.update_items(conn, changed, at=now, by=by):
        old = olds[new.id]
        deltas.change(
            item_part(old.unit_code, old.board, old.category, old.counted),
            item_part(new.unit_code, new.board, new.category, new.counted),
        )
        out.updated += 1
        if new.counted and announce:
            out.announcements.append((new, "revised"))
    new_rows = [_item_row(i, v) for i, v in zip(bulk_store.time_ordered_ids(len(fresh)), fresh, strict=True)]
    await bulk_store.insert_items(conn, new_rows, at=now, by=by)
    if announce:
        out.announcements += [_announce(r[0], v, now) for r, v in zip(new_rows, fresh, strict=True)]
    out.created = len(new_rows)
    await store.apply_deltas(conn, deltas.rows())
    await notice_store.record_outbox(conn, out.announcements, now)  # owed after commit, survives a crash
    return out


def _announce(item_id: uuid.UUID, v: dict[str, Any], now: datetime) -> tuple[Item, str]:
    item = Item(
        id=item_id,
        external_id=v["external_id"],
        unit_code=v["unit_code"],
        board=v["board"],
        category=v["category"],
        period=v["period"].label,
        dated=v["dated"],
        title=v["title"],
        body=v["body"],
        attachments=[],
        revision=1,
        published_at=now,
        withdrawn_at=None,
        updated_at=now,
    )
    return item, "published"


async def apply_funds(conn: asyncpg.Connection, rows: list[dict[str, Any]], *, today: date) -> Outcome:
    out, deltas = Outcome(), Deltas.empty()
    existing = await fs.funds_by_external_id(conn, [v["external_id"] for v in rows])
    new_rows, stages = [], []
    for v in rows:
        old = existing.get(v["external_id"])
        if old is None:
            fund_id = uuid.uuid4()
            new_rows.append(
                (
                    fund_id,
                    v["external_id"],
                    v["unit_code"],
                    v["name"],
                    v["category"],
                    v["source"],
                    v["amount"],
                    v["stage"],
                    v["year"],
                )
            )
            stages.append((fund_id, v["stage"], v["stage_on"] or today))
            deltas.change(
                {},
                fund_part(
                    v["unit_code"],
                    category=v["category"],
                    source=v["source"],
                    stage=v["stage"],
                    amount=v["amount"],
                    spent=Decimal(0),
                ),
            )
            continue
        if old.unit_code != v["unit_code"]:
            raise Invalid(f"external id {v['external_id']} is a project of {old.unit_code}, not {v['unit_code']}")
        if v["amount"] < old.spent:
            raise Invalid(f"amount {v['amount']} is below what the project spent already ({old.spent})")
        if all(getattr(old, k) == v[k] for k in ("name", "category", "source", "amount", "stage", "year")):
            out.unchanged += 1
            continue
        new = await fs.update_fund(conn, old.id, v)
        if new.stage != old.stage:
            stages.append((old.id, new.stage, v["stage_on"] or today))
        deltas.change(fund_contribution(old), fund_contribution(new))
        out.updated += 1
    await bulk_store.insert_funds(conn, new_rows)
    await bulk_store.insert_stages(conn, stages)
    out.created = len(new_rows)
    await store.apply_deltas(conn, deltas.rows())
    return out


async def apply_spending(conn: asyncpg.Connection, rows: list[tuple[str, dict[str, Any]]]) -> Outcome:
    """New payments by external id (a payment already imported is left as it is: it was paid)."""
    out = Outcome()
    funds = await fs.funds_by_external_id(conn, sorted({f for f, _ in rows}))
    known = await fs.spending_by_external_id(conn, [v["external_id"] for _, v in rows])
    added: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    new_rows = []
    for fund_ext, v in rows:
        fund = funds.get(fund_ext)
        if fund is None:
            raise Invalid(f"no fund project with external id {fund_ext}")
        if v["external_id"] in known:
            out.unchanged += 1
            continue
        if fund.spent + added[fund.id] + v["amount"] > fund.amount:
            raise Invalid(f"spending {v['amount']} would take project {fund_ext} past its amount {fund.amount}")
        added[fund.id] += v["amount"]
        new_rows.append((uuid.uuid4(), v["external_id"], fund.id, v["amount"], v["spent_on"], v["payee"], v["note"]))
    await bulk_store.insert_spending(conn, new_rows)
    await bulk_store.add_spent(conn, dict(added))
    deltas = Deltas.empty()
    for fund in funds.values():
        if added.get(fund.id):
            grown = Fund(**{**vars(fund), "spent": fund.spent + added[fund.id]})
            deltas.change(fund_contribution(fund), fund_contribution(grown))
    await store.apply_deltas(conn, deltas.rows())
    out.created = len(new_rows)
    return out


async def apply_assets(conn: asyncpg.Connection, rows: list[dict[str, Any]]) -> Outcome:
    out, deltas = Outcome(), Deltas.empty()
    existing = await fs.assets_by_external_id(conn, [v["external_id"] for v in rows])
    upserts = []
    for v in rows:
        old = existing.get(v["external_id"])
        new = Asset(id=old.id if old else uuid.uuid4(), **{k: v[k] for k in v})
        if old == new:
            out.unchanged += 1
            continue
        upserts.append((new.id, new.external_id, new.unit_code, new.kind, new.name, new.category, new.area, new.value))
        deltas.change(asset_contribution(old), asset_contribution(new))
        out.created += old is None
        out.updated += old is not None
    await bulk_store.upsert_assets(conn, upserts)
    await store.apply_deltas(conn, deltas.rows())
    return out

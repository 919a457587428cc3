"""Applying checked import rows of one batch in one transaction: new rows in bulk, changed rows one by one, the
roll-up deltas of the whole batch at once. A row that cannot be applied raises, and the importer then applies
the batch row by row, so one bad row never takes good ones with it and nothing is half-applied."""

from __future__ import annotations

import functools
import operator
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from core.disclosure import bulk_store, notice_store, store
from core.disclosure import funds_store as fs
from core.disclosure.boards import metric as item_metric
from core.disclosure.funds import asset_contribution, fund_contribution
from core.disclosure.hierarchy import ancestors
from core.disclosure.models import STAGES, Asset, Fund, Item
from core.disclosure.rollups import Deltas, fund_part, item_part
from core.disclosure.rows import ItemRow
from core.errors import Invalid


@dataclass
class Outcome:
    """What a batch did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    announcements: list[tuple[Item, str]] = field(default_factory=list)  # announced after commit
    funds: list[uuid.UUID] = field(default_factory=list)  # fund projects whose page is sent after commit


@dataclass
class Batch:
    """The checked rows a transaction applies. Item rows (rows.ItemRow: a row of the staging table, with the id its
    item gets if it is new) come with the roll-up deltas of all of them as new items, summed before the transaction
    while the batch before is written (`new_deltas`; None for a part of a batch)."""

    rows: list[Any]
    new_deltas: list[tuple[str, str, int]] | None = None
    new: bool = False  # items: likely all new (the batches before were), so inserted without looking them up first

    def halves(self, at: int) -> tuple[Batch, Batch]:
        return Batch(self.rows[:at]), Batch(self.rows[at:])


def prepare(kind: str, rows: list[Any], *, new: bool = False) -> Batch:
    """A batch of checked rows of `kind`, new items made ready to insert (see Batch)."""
    return Batch(rows, item_deltas(rows) if kind == "items" else None, new)


def _same(old: Item, row: ItemRow) -> bool:
    """An import row that changes nothing an item shows (its attachments are kept as they are)."""
    _, _, _, board, category, period, _, _, dated, title, body = row
    return (old.board, old.category, old.period, old.dated, old.title, old.body) == (
        board,
        category,
        period,
        dated,
        title,
        body,
    )


@functools.lru_cache(maxsize=65536)
def _chain(unit_code: str) -> tuple[str, ...]:
    return tuple(ancestors(unit_code))


def item_deltas(rows: Iterable[ItemRow]) -> list[tuple[str, str, int]]:
    """The roll-up deltas of new published items: each counts once in `items` and once in its category, at its
    unit and every unit above; in key order (the order every writer locks roll-up rows in). Item deltas are counts
    only (rollups.item_part), so they are summed as ints, not Vectors."""
    spread: dict[tuple[str, str], int] = {}
    for (unit, board, category), n in Counter(map(operator.itemgetter(2, 3, 4), rows)).items():
        kind = item_metric(board, category)
        for code in _chain(unit):
            spread[(code, "items")] = spread.get((code, "items"), 0) + n
            spread[(code, kind)] = spread.get((code, kind), 0) + n
    return [(u, m, n) for (u, m), n in sorted(spread.items())]


async def apply_items(
    conn: asyncpg.Connection, batch: Batch, *, now: datetime, by: str, announce: bool = True
) -> Outcome:
    """New rows inserted and changed rows updated (a new revision each) in a few set-based statements. A batch
    that is likely all new (`batch.new`) is inserted at once, without first looking its external ids up (the unique
    index looks them up anyway); if one is stored already, that insert is undone (a savepoint) and the batch is
    split into new, changed and unchanged rows by looking them up."""
    out, rows = Outcome(), batch.rows
    if batch.new:
        try:
            async with conn.transaction():
                await bulk_store.insert_items(conn, rows, at=now, by=by)
            return await _counted(conn, out, rows, batch.new_deltas or item_deltas(rows), now, announce)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != "disclosure_items_external_id_key":
                raise
            batch.new = False  # the importer stops guessing
    deltas = Deltas.empty()
    existing = await store.items_by_external_id(conn, [r[1] for r in rows])
    fresh, changed, olds = [], [], {}
    for row in rows:
        old = existing.get(row[1])
        if old is None:
            fresh.append(row)
        elif old.unit_code != row[2]:
            raise Invalid(f"external id {row[1]} is an item of unit {old.unit_code}, not {row[2]}")
        elif _same(old, row):
            out.unchanged += 1
        else:
            changed.append((old.id, *row[1:]))
            olds[old.id] = old
    for new in await bulk_store.update_items(conn, changed, at=now, by=by):
        old = olds[new.id]
        deltas.change(
            item_part(old.unit_code, old.board, old.category, old.counted),
            item_part(new.unit_code, new.board, new.category, new.counted),
        )
        out.updated += 1
        if new.counted and announce:
            out.announcements.append((new, "revised"))
    await bulk_store.insert_items(conn, fresh, at=now, by=by)
    return await _counted(conn, out, fresh, _merged(deltas, item_deltas(fresh)), now, announce)


async def _counted(
    conn: asyncpg.Connection,
    out: Outcome,
    fresh: list[ItemRow],
    deltas: list[tuple[str, str, int]],
    now: datetime,
    announce: bool,
) -> Outcome:
    """The batch's roll-up deltas and announcements written (its new items `fresh`): the end of its transaction."""
    if announce:
        out.announcements += [_announce(r, now) for r in fresh]
    out.created = len(fresh)
    await bulk_store.add_counts(conn, deltas)
    await notice_store.record_outbox(conn, out.announcements, now)  # owed after commit, survives a crash
    return out


def _merged(changed: Deltas, new: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The count deltas of changed items and of new ones summed per key, the non-zero ones in key order."""
    rows = changed.rows()
    if not rows:
        return new
    summed = Counter({(u, m): n for u, m, n in new})
    for unit, metric, v in rows:
        summed[(unit, metric)] += v.count
    return [(u, m, n) for (u, m), n in sorted(summed.items()) if n]


def _announce(row: ItemRow, now: datetime) -> tuple[Item, str]:
    item_id, ext, unit, board, category, period, _, _, dated, title, body = row
    item = Item(
        id=uuid.UUID(str(item_id)),
        external_id=ext,
        unit_code=unit,
        board=board,
        category=category,
        period=period,
        dated=dated,
        title=title,
        body=body,
        attachments=[],
        revision=1,
        published_at=now,
        withdrawn_at=None,
        updated_at=now,
    )
    return item, "published"


def _stage(given: str | None, old: Fund | None, external_id: str) -> str:
    """A row's stage: as given, else 立项 for a new project and the stored one's own; never back (a file imported
    again after the project moved on in the editor changes nothing)."""
    if given is None:
        return old.stage if old is not None else STAGES[0]
    if old is not None and STAGES.index(given) < STAGES.index(old.stage):
        raise Invalid(f"project {external_id} is at {old.stage}; stages only move on ({' → '.join(STAGES)})")
    return given


async def apply_funds(conn: asyncpg.Connection, rows: list[dict[str, Any]], *, today: date) -> Outcome:
    out, deltas = Outcome(), Deltas.empty()
    existing = await fs.funds_by_external_id(conn, [v["external_id"] for v in rows])
    new_rows, stages = [], []
    for v in rows:
        old = existing.get(v["external_id"])
        v = {**v, "stage": _stage(v["stage"], old, v["external_id"])}
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
        out.funds.append(old.id)  # unchanged too: a project imported before imports sent pages gets its page
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
    out.funds += [r[0] for r in new_rows]
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
    out.funds = [fund_id for fund_id, amount in added.items() if amount]
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

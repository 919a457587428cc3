"""Roll-up arithmetic: what each item, fund or asset contributes to its unit, and the delta a change makes.

A unit's roll-up covers itself and everything below it, so a change's delta is added to the unit and to every
ancestor (the chain follows from the code). Deltas are pure values here; `store.apply_deltas` writes them in the
transaction of the change, so a roll-up is never behind what its transaction committed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.disclosure.boards import metric as item_metric
from core.disclosure.hierarchy import ancestors

ZERO = Decimal(0)


@dataclass(frozen=True)
class Vector:
    """count, amount, spent, area, value: added and subtracted component-wise."""

    count: int = 0
    amount: Decimal = ZERO
    spent: Decimal = ZERO
    area: Decimal = ZERO
    value: Decimal = ZERO

    def __add__(self, other: Vector) -> Vector:
        return Vector(
            self.count + other.count,
            self.amount + other.amount,
            self.spent + other.spent,
            self.area + other.area,
            self.value + other.value,
        )

    def __neg__(self) -> Vector:
        return Vector(-self.count, -self.amount, -self.spent, -self.area, -self.value)

    def is_zero(self) -> bool:
        return not (self.count or self.amount or self.spent or self.area or self.value)


Contribution = dict[tuple[str, str], Vector]  # (unit code, metric) -> vector, at the unit itself


def item_part(unit_code: str, board: str, category: str, counted: bool) -> Contribution:
    """A published, not withdrawn item counts once in `items` and in its category."""
    if not counted:
        return {}
    one = Vector(count=1)
    return {(unit_code, "items"): one, (unit_code, item_metric(board, category)): one}


def fund_part(
    unit_code: str, *, category: str, source: str, stage: str, amount: Decimal, spent: Decimal
) -> Contribution:
    v = Vector(count=1, amount=amount, spent=spent)
    metrics = ("funds", f"funds:stage:{stage}", f"funds:source:{source}", f"funds:category:{category}")
    return {(unit_code, m): v for m in metrics}


def asset_part(unit_code: str, *, kind: str, area: Decimal, value: Decimal) -> Contribution:
    return {(unit_code, f"assets:{kind}"): Vector(count=1, area=area, value=value)}


@dataclass
class Deltas:
    """The deltas of a batch of changes: summed per unit as they come, spread up the ancestor chains once, at the
    end (a batch of thousands of rows touches a few hundred units), zeros dropped."""

    at_unit: dict[tuple[str, str], Vector]

    @classmethod
    def empty(cls) -> Deltas:
        return cls({})

    def change(self, old: Contribution, new: Contribution) -> None:
        """Subtract what the old state contributed, add what the new one does."""
        at = self.at_unit
        for key, v in old.items():
            at[key] = at[key] + (-v) if key in at else -v
        for key, v in new.items():
            at[key] = at[key] + v if key in at else v

    def count(self, unit: str, metric: str, n: int) -> None:
        """Add n to a count-only metric (items) without building a contribution per row."""
        self.change({}, {(unit, metric): Vector(count=n)})

    def rows(self) -> list[tuple[str, str, Vector]]:
        """Non-zero deltas of every ancestor in key order (one lock order for every writer: no deadlocks)."""
        spread: dict[tuple[str, str], Vector] = {}
        for (unit, metric), v in self.at_unit.items():
            if v.is_zero():
                continue
            for code in ancestors(unit):
                key = (code, metric)
                spread[key] = spread[key] + v if key in spread else v
        return [(u, m, v) for (u, m), v in sorted(spread.items()) if not v.is_zero()]


def total(parts: Iterable[Contribution]) -> dict[tuple[str, str], Vector]:
    """Roll-ups computed from scratch (for checking and rebuilding what the deltas keep)."""
    deltas = Deltas.empty()
    for part in parts:
        deltas.change({}, part)
    return {(u, m): v for u, m, v in deltas.rows()}

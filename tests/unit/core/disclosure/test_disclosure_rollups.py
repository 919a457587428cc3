"""Roll-up deltas: any sequence of changes, applied as deltas, equals a recount from scratch at every level."""

from __future__ import annotations

import random
from decimal import Decimal

from core.disclosure.rollups import Deltas, Vector, fund_part, item_part, total

VILLAGES = ["510104021201", "510104021202", "510104022201", "510105001001"]


def test_random_changes_as_deltas_equal_a_recount() -> None:
    rng = random.Random(7)
    state: dict[int, dict] = {}
    kept: dict[tuple[str, str], Vector] = {}
    for step in range(300):
        key = rng.randrange(20)
        old = state.get(key)
        if old is not None and rng.random() < 0.2:
            new = None
        else:
            new = {
                "unit": rng.choice(VILLAGES),
                "stage": rng.choice(["立项", "实施", "结算"]),
                "amount": Decimal(rng.randrange(1, 10_000)),
                "spent": Decimal(0),
            }
        part = lambda s: (  # noqa: E731 - a small local helper reads best here
            fund_part(s["unit"], category="道路", source="区", stage=s["stage"], amount=s["amount"], spent=s["spent"])
            if s
            else {}
        )
        deltas = Deltas.empty()
        deltas.change(part(old), part(new))
        for unit, metric, v in deltas.rows():
            kept[(unit, metric)] = kept.get((unit, metric), Vector()) + v
        state[key] = new  # type: ignore[assignment]
        if step % 50 == 0 or step == 299:
            expected = total(part(s) for s in state.values() if s)
            assert {k: v for k, v in kept.items() if not v.is_zero()} == expected


def test_an_item_counts_at_its_unit_and_every_ancestor_only_while_published() -> None:
    deltas = Deltas.empty()
    deltas.change({}, item_part("510104021201", "基层公开", "财务", True))
    units = {u for u, m, _ in deltas.rows() if m == "items"}
    assert units == {"510100000000", "510104000000", "510104021000", "510104021201"}
    assert item_part("510104021201", "基层公开", "财务", False) == {}

"""The importer's item checks by column index (rows.ItemRows) give what ItemDraft.check gives for the same cells:
the same values, or the same first error."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from core.disclosure.rows import BUILDERS, ItemRows
from core.errors import Invalid

HEADER = ["external_id", "unit_code", "board", "category", "period", "dated", "title", "body", ""]
GOOD = ["e1", "330202001201", "", "财务", "2024-03", "2024-03-31", "三月收支", "收入"]
ODD: dict[int, list[Any]] = {  # per column: values a file may hold, good and bad
    0: [" e2 ", "x" * 129, 12.0],
    1: ["33020200120", "330200000000", 330202001201.0, " 330202001201 "],
    2: ["基层公开", "政务公开"],
    3: ["村务", "八卦", " 党务"],
    4: ["2024Q1", "2024", "2024-13", "24-03"],
    5: ["2024/3/5", "2024年3月5日", "2024-04-01", "x", "", datetime(2024, 3, 5), date(2024, 2, 1)],
    6: ["", "长" * 201],
    7: ["长" * 20001],
}


def by_draft(values: list[Any]) -> tuple[Any, ...] | str:
    cells = {h: c for h, c in zip(HEADER, values, strict=False) if h}
    try:
        v = BUILDERS["items"](cells).check()
    except Invalid as exc:
        return exc.message
    p = v["period"]
    return (
        v["external_id"] or "",
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


def by_index(rows: ItemRows, values: list[Any]) -> tuple[Any, ...] | str:
    try:
        return rows.check(values, "id")[0][1:]
    except Invalid as exc:
        return exc.message


def test_item_rows_give_what_item_drafts_give_for_one_odd_cell_or_two() -> None:
    rows = ItemRows(HEADER)
    cases = [GOOD, GOOD[:5], GOOD[:7]]  # short rows too
    for column, odd in ODD.items():
        cases += [[*GOOD[:column], value, *GOOD[column + 1 :]] for value in odd]
    for (a, va), (b, vb) in itertools.combinations([(c, v) for c, vs in ODD.items() for v in vs], 2):
        if a != b:
            row = list(GOOD)
            row[a], row[b] = va, vb
            cases.append(row)
    for values in cases * 2:  # twice: the second time from what ItemRows remembers
        assert by_index(rows, values) == by_draft(values), values

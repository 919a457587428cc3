"""The column-at-a-time conversion for COPY gives what converting row by row with the types' converters gives:
the same values, the same first refused cell, the same tokens, and the types every row decides; the quality
review's table checks (missing, type errors, duplicates) count and place what they did."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.errors import Invalid
from core.opendata import quality
from core.opendata.columns import convert, misfit_error
from core.opendata.datastore import SAMPLE_ROWS, converted
from core.opendata.tabular import Table
from core.opendata.tokens import cell_text
from core.opendata.types import CONVERTERS, infer

Row = list[str | None]


def by_rows(rows: list[Row], schema: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The reference: each row converted cell by cell (what the load did before columns)."""
    kinds = [f["type"] for f in schema["fields"]]
    missing = set(schema.get("missingValues", [""]))
    out = []
    for n, row in enumerate(rows, start=1):
        values = [
            None if c is None or c in missing else c if k == "string" else CONVERTERS[k](c.strip())
            for k, c in zip(kinds, row, strict=True)
        ]
        tokens = " ".join(cell_text(c) for k, c in zip(kinds, row, strict=True) if k == "string" and c)
        out.append((n, *values, tokens))
    return out


def table_of(rows: list[Row], header: list[str] | None = None) -> Table:
    header = header or [f"c{i}" for i in range(len(rows[0]))]
    return Table(header=header, rows=rows, encoding="utf-8", lines=[n + 2 for n in range(len(rows))])


def mixed(n: int, seed: int = 7) -> list[Row]:
    """Repeating columns (codes, dates, booleans) and mostly distinct ones (ids, amounts, names), some empty."""
    rng = random.Random(seed)
    return [
        [
            str(i),
            rng.choice(["道里", "南岗", "香坊", None]),
            f"2024-{rng.randint(1, 12)}-{rng.randint(1, 28)}" if i % 9 else None,
            f" {rng.randint(-5, 5)} ",
            f"{rng.random() * 1000:.3f}",
            rng.choice(["true", "FALSE", "True"]),
            f"2024-03-01 {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
            f"哈尔滨市第{i}中学 Harbin No.{i}",
        ]
        for i in range(n)
    ]


def test_columns_convert_as_rows_did() -> None:
    rows = mixed(3000)
    schema = infer([f"c{i}" for i in range(8)], rows)
    kinds = [f["type"] for f in schema["fields"]]
    assert kinds == ["integer", "string", "date", "integer", "number", "boolean", "datetime", "string"]
    done = convert(rows, schema)
    assert not done.misfits and list(done.records()) == by_rows(rows, schema)
    assert done.columns[2][1] == date(int(rows[1][2][:4]), *map(int, rows[1][2].split("-")[1:]))  # type: ignore[index]


def test_missing_values_of_a_given_schema_are_empty() -> None:
    rows: list[Row] = [["1", "NA"], ["-", "x"], ["3", "y"]]
    schema = {
        "fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}],
        "missingValues": ["-", "NA"],
    }
    done = convert(rows, schema)
    assert done.columns == [[1, None, 3], [None, "x", "y"]] and list(done.records()) == by_rows(rows, schema)
    assert done.tokens == ["na", "x", "y"]  # tokens are of the cells as written, as before


@pytest.mark.parametrize("repeating", [True, False])
def test_the_first_refused_cell_in_row_order_is_named(repeating: bool) -> None:
    rows = [[str(i % 3 if repeating else i), f"2024-01-{1 + i % 28}"] for i in range(500)]
    rows[400][0], rows[300][1], rows[450][1] = "4x", "2024-02-30", "soon"
    schema = {"fields": [{"name": "数量", "type": "integer"}, {"name": "日期", "type": "date"}], "missingValues": [""]}
    done = convert(rows, schema)
    assert done.misfits == {0: 400, 1: 300}
    error = misfit_error(done, rows, [n + 2 for n in range(500)], schema)
    assert isinstance(error, Invalid) and error.message == "line 302: '日期' is '2024-02-30', not a date"


def test_a_cell_past_the_sample_retypes_its_column_only() -> None:
    rows = [[str(i), str(i % 7), "2024-05-01"] for i in range(3 * SAMPLE_ROWS)]
    rows[SAMPLE_ROWS + 1][1] = "7.5"  # past the first rows; the spread rows may miss it
    rows[-5][2] = "2024-05-01 08:00"
    table = table_of(rows)
    schema, done = converted(table, None)
    assert schema == infer(table.header, rows)  # what every row decides
    assert [f["type"] for f in schema["fields"]] == ["integer", "number", "string"]
    assert done.columns[1][SAMPLE_ROWS + 1] == Decimal("7.5") and not done.misfits


def test_a_given_schema_refuses_the_load() -> None:
    table = table_of([["1"], ["x"]], ["n"])
    with pytest.raises(Invalid, match="line 3: 'n' is 'x', not a integer"):
        converted(table, {"fields": [{"name": "n", "type": "integer"}], "missingValues": [""]})


def test_tokens_join_the_string_columns() -> None:
    rows: list[Row] = [["公交线路", "1", "Bus"], [None, "2", "站点"], [None, "3", None]]
    schema = infer(["a", "b", "c"], rows)
    assert convert(rows, schema).tokens == ["公交 交线 线路 bus", "站点", ""]
    assert convert([["1"], ["2"]], infer(["n"], [["1"], ["2"]])).tokens == ["", ""]


def test_review_counts_and_places_what_it_finds() -> None:
    rows: list[Row] = [[str(i), None if i % 4 == 0 else "x", str(i) if i != 7 else "七"] for i in range(40)]
    rows += [list(rows[3]), list(rows[5]), list(rows[3])]
    table = table_of(rows, ["id", "name", "amount"])
    schema = {"fields": [{"name": n, "type": "string"} for n in table.header], "missingValues": [""]}
    found = {(f.kind, f.column): f for f in quality.review(table, schema, None)}
    assert found["missing", "name"].count == 10 and found["missing", "name"].lines == [
        2,
        6,
        10,
        14,
        18,
        22,
        26,
        30,
        34,
        38,
    ]
    assert found["type", "amount"].count == 1 and found["type", "amount"].lines == [9]
    assert ("type", "id") not in found  # every cell an integer: a column typed text on purpose, not mistyped
    assert found["duplicate", ""].count == 3 and found["duplicate", ""].lines == [42, 43, 44]

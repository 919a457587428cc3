"""The disclosure demo: its shipped extract is exactly 成都市's rows of the division codes, and the files it writes
have the realistic structure the importer expects."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.disclosure.hierarchy import level_of, parent_code
from ops.demo.disclosure import real_units, write_demo


@pytest.mark.corpus
def test_the_shipped_extract_is_chengdus_rows_of_the_corpus(corpus: Path) -> None:
    base = corpus / "admin-divisions-modood"
    expected = {"510100000000": "成都市"}
    for name, key in (("areas.csv", "cityCode"), ("streets.csv", "cityCode")):
        with (base / name).open(encoding="utf-8") as f:
            expected |= {r["code"].ljust(12, "0"): r["name"] for r in csv.DictReader(f) if r[key] == "5101"}
    assert dict(real_units()) == expected
    levels = [level_of(code) for code in expected]
    assert (levels.count("区县"), levels.count("乡镇街道")) == (20, 261)


def test_generated_villages_sit_under_real_townships_and_the_files_hold_together(tmp_path: Path) -> None:
    files = write_demo(tmp_path, items_per_village=3, funds_per_village=2, townships=4)
    with files.units.open(encoding="utf-8") as f:
        units = {r["code"]: r["name"] for r in csv.DictReader(f)}
    villages = [c for c in units if level_of(c) == "村社区"]
    assert villages and all(parent_code(c) in units for c in units if level_of(c) != "市")
    streets = {c for c, n in units.items() if n.endswith("街道")}
    assert all(int(v[9:]) < 200 for v in villages if parent_code(v) in streets)  # 社区 codes under 街道
    with files.funds.open(encoding="utf-8") as f:
        funds = {r["external_id"]: float(r["amount"]) for r in csv.DictReader(f)}
    with files.spending.open(encoding="utf-8") as f:
        paid: dict[str, float] = {}
        for r in csv.DictReader(f):
            paid[r["fund_external_id"]] = paid.get(r["fund_external_id"], 0) + float(r["amount"])
    assert len(funds) == 2 * len(villages) and all(paid[k] <= funds[k] for k in paid)

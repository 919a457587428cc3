"""The hierarchy follows from 统计用区划代码; periods, amounts and categories are checked with clear errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.disclosure.boards import check_category
from core.disclosure.hierarchy import (
    ancestors,
    check_code,
    check_parent,
    is_under,
    level_of,
    parent_code,
    prefix_of,
    subtree,
)
from core.disclosure.periods import check_in_period, parse_period
from core.disclosure.values import parse_amount, parse_date, parse_source
from core.errors import Invalid


def test_levels_parents_and_chains_follow_from_the_code() -> None:
    assert level_of("510100000000") == "市"
    assert level_of("510104000000") == "区县"
    assert level_of("510104021000") == "乡镇街道"
    assert level_of("510104021201") == "村社区"
    assert parent_code("510104021201") == "510104021000"
    assert parent_code("510100000000") is None
    assert ancestors("510104021201") == ["510100000000", "510104000000", "510104021000", "510104021201"]
    assert prefix_of("510104000000") == "510104"
    assert is_under("510104021201", "510100000000") and not is_under("510105001001", "510104000000")
    assert subtree("510104000000") == ("510104000000", "510104999999")
    assert subtree("510104021201") == ("510104021201", "510104021201")


@pytest.mark.parametrize(
    ("code", "message"),
    [("5101", "not a 12-digit"), ("51010400000x", "not a 12-digit"), ("510000000000", "names a province")],
)
def test_malformed_codes_are_refused(code: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        check_code(code)


def test_a_village_under_the_wrong_township_is_a_clear_error() -> None:
    check_parent("510104021201", "510104021000")
    with pytest.raises(Invalid, match="sits under 乡镇街道 510104021000 by its code, not under 510104022000"):
        check_parent("510104021201", "510104022000", "和平村")


def test_periods_and_dates_inside_them() -> None:
    q = parse_period("2024Q2")
    assert (q.start, q.end, q.label) == (date(2024, 4, 1), date(2024, 6, 30), "2024Q2")
    assert parse_period("2024-2").end == date(2024, 2, 29)
    assert parse_period("2023").end == date(2023, 12, 31)
    check_in_period(q, date(2024, 5, 1))
    with pytest.raises(Invalid, match="outside the period 2024Q2"):
        check_in_period(q, date(2024, 7, 1))
    for bad in ("2024-13", "2024Q5", "Q1", ""):
        with pytest.raises(Invalid):
            parse_period(bad)
    for typo in ("1900", "2924Q1", "1024-03"):  # an item dated by such a period would be filed a millennium off
        with pytest.raises(Invalid, match="is not between 2000 and 2100"):
            parse_period(typo)


def test_amounts_dates_sources_and_categories() -> None:
    assert parse_amount("1,234.5元") == Decimal("1234.50")
    for bad, message in (("-3", "at least 0"), ("abc", "not a number"), ("1.234", "two decimals"), ("NaN", "number")):
        with pytest.raises(Invalid, match=message):
            parse_amount(bad)
    with pytest.raises(Invalid, match="above 0"):
        parse_amount("0", positive=True)
    assert parse_date("2024年3月5日") == parse_date("2024/3/5") == date(2024, 3, 5)
    assert parse_source("镇级") == "镇"
    assert check_category("村务") == ("基层公开", "村(居)务")
    with pytest.raises(Invalid, match="belongs to board 基层公开"):
        check_category("财务", "便民服务")
    with pytest.raises(Invalid, match="unknown category"):
        check_category("八卦")

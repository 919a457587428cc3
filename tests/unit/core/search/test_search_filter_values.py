"""Filter values of closed fields: a value no document can hold is refused by name, not answered with 0 hits."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import Invalid
from core.search.merge import check_filters

TODAY = date(2026, 12, 6)


def test_values_documents_can_hold_pass_and_kinds_take_their_chinese_names() -> None:
    assert check_filters({"level": ["区县", "市"], "year": [" 2024 "], "site": ["demo-portal"]}, today=TODAY) == {
        "level": ["区县", "市"],
        "year": ["2024"],
        "site": ["demo-portal"],
    }
    assert check_filters({"kind": ["政策文件", "policy", "disclosure"]}, today=TODAY) == {
        "kind": ["policy", "policy", "disclosure"]
    }


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"level": ["县"]}, "filter 'level': '县' is not a level: use 国家, 省, 市, 区县"),
        ({"year": ["2024年"]}, "filter 'year': '2024年' is not a year such as 2024"),
        ({"year": ["abcd"]}, "'abcd' is not a year"),
        ({"year": ["1899"]}, "filter 'year': 1899 is not between 1900 and 2027"),
        ({"year": ["2024", "2028"]}, "filter 'year': 2028 is not between 1900 and 2027"),
        ({"year": ["0000"]}, "filter 'year': 0000 is not between 1900 and 2027"),
        ({"site": ["DROP TABLE"]}, "filter 'site': 'DROP TABLE' is not a site id"),
    ],
)
def test_values_no_document_can_hold_are_refused_by_name(filters: dict[str, list[str]], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        check_filters(filters, today=TODAY)


def test_the_years_a_document_may_have_pass_up_to_next_year() -> None:
    """From 1900 (the earliest date read, core.textzh.dates) to next year (a notice of late December dated the new
    year), as policies(filters: {year}) takes them."""
    assert check_filters({"year": ["1900", "2027"]}, today=TODAY) == {"year": ["1900", "2027"]}

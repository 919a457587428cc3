"""Dates in the forms government pages print them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.textzh.dates import find_dates, parse_date, parse_datetime


@pytest.mark.parametrize(
    "raw",
    [
        "2019年01月27日",
        "2019年1月27日",
        "2019 年 1 月 27 日",
        "2019-1-27",
        "2019-01-27",
        "2019/01/27 09:22",
        "2019.01.27",
        "20190127",
        "二〇一九年一月二十七日",
        "二零一九年一月二十七日",
        "２０１９年１月２７日",
        "发布时间：2019-01-27 09:22:10",
        "成文日期 ：2019年01月27日",
        "[ 2019-01-27 ]",
    ],
)
def test_every_common_form(raw: str) -> None:
    assert parse_date(raw) == date(2019, 1, 27)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("二〇二一年十二月三十一日", date(2021, 12, 31)),
        ("二〇二〇年十月十日", date(2020, 10, 10)),
        ("1996年07月17日", date(1996, 7, 17)),
    ],
)
def test_chinese_numerals(raw: str, expected: date) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", None, "2019年13月1日", "20190230", "索引号：000014349/2019-00007", "2019年1月", "无"]
)
def test_not_a_date(raw: str | None) -> None:
    assert parse_date(raw) is None


def test_datetime_keeps_the_time_of_day() -> None:
    assert parse_datetime("发表时间： 2026-04-29 09:22:29") == datetime(2026, 4, 29, 9, 22, 29)
    assert parse_datetime("2019/01/27 09:22") == datetime(2019, 1, 27, 9, 22)
    assert parse_datetime("2019年01月27日") == datetime(2019, 1, 27)


def test_find_all_dates_in_order() -> None:
    text = "实施日期：2019年07月01日 失效日期：2024-06-30"
    assert find_dates(text) == [date(2019, 7, 1), date(2024, 6, 30)]

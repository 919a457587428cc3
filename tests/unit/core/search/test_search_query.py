"""The advanced search syntax: operators become constraints, malformed ones a clear Invalid, never a crash."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import Invalid
from core.search.query import parse_query

TODAY = date(2026, 12, 6)


def test_operators_become_constraints_and_the_rest_stays_text() -> None:
    raw = '社保 "养老保险 转移" -失业 site:gz-portal title:办法 type:policy after:2019 before:2020-06'
    q = parse_query(raw, today=TODAY)
    assert q.text == "社保"
    assert q.phrases == ["养老保险 转移"] and q.excludes == ["失业"] and q.sites == ["gz-portal"]
    assert q.titles == ["办法"] and q.kinds == ["policy"]
    assert q.after == date(2019, 1, 1) and q.before == date(2020, 6, 30)


def test_chinese_operator_names_full_width_colons_and_curly_quotes() -> None:
    q = parse_query("文号：国办发[2017]47号 类型:政策文件 “居民身份证”", today=TODAY)
    assert q.doc_no == "国办发〔2017〕47号" and q.kinds == ["policy"] and q.phrases == ["居民身份证"]


def test_a_word_with_a_colon_that_is_no_operator_stays_text() -> None:
    assert parse_query("办理时间 9:30 http://x.gov.cn", today=TODAY).text == "办理时间 9:30 http://x.gov.cn"


@pytest.mark.parametrize(
    "raw",
    [
        "after:2019-13",
        "before:昨天",
        "type:unicorn",
        "文号:随便",
        "site:Not_A_Site!",
        "-site:gz",
        "after:2020 before:2019",
        "after:1000",  # past what the engine's dates hold: it was an internal error
        "before:9999",
        "before:1800",  # no document is older than 1900: it answered nothing, silently
        "从:1899-12",
        "after:2028",  # later than next year, as filters: {year} refuses it
    ],
)
def test_malformed_operators_are_invalid_with_a_message(raw: str) -> None:
    with pytest.raises(Invalid) as err:
        parse_query(raw, today=TODAY)
    assert err.value.message


@pytest.mark.parametrize("raw", ['"', '"""', "-", "--", ":", "title:", '""社保', "site:"])
def test_stray_syntax_characters_never_crash(raw: str) -> None:
    parse_query(raw, today=TODAY)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("社保 before:1800", "operator 'before:': 1800 is not between 1900 and 2027"),
        ("after:1899-12-31", "operator 'after:': 1899-12-31 is not between 1900 and 2027"),
        ("到:2028", "operator 'before:': 2028 is not between 1900 and 2027"),
    ],
)
def test_a_date_operator_out_of_range_names_the_range_as_the_year_filter_does(raw: str, says: str) -> None:
    with pytest.raises(Invalid, match=says):
        parse_query(raw, today=TODAY)


def test_the_ends_of_the_year_range_are_dates_an_operator_may_name() -> None:
    q = parse_query("after:1900 before:2027-12-31", today=TODAY)
    assert q.after == date(1900, 1, 1) and q.before == date(2027, 12, 31)

"""Reply deadlines count working days of the holiday calendar: 法定节假日 off, 调休 weekends on."""

from __future__ import annotations

import re
from datetime import date

import pytest

from core.errors import Invalid
from core.letters import add_working_days, is_working_day
from core.letters.service import reply_days, required_level
from core.settings import Settings


def test_a_plain_week_skips_the_weekend() -> None:
    # Thursday 2024-06-13 + 5 working days: Fri 14, Mon 17, Tue 18, Wed 19, Thu 20.
    assert add_working_days(date(2024, 6, 13), 5) == date(2024, 6, 20)


def test_national_day_holidays_are_skipped_and_the_makeup_saturday_counts() -> None:
    # 2024 国庆: 1-7 October off; Sunday 29 September and Saturday 12 October are working days (调休).
    assert not is_working_day(date(2024, 10, 1))
    assert is_working_day(date(2024, 9, 29)) and is_working_day(date(2024, 10, 12))
    # Friday 27 September + 3: Sun 29 (调休), Mon 30, then Tue 8 October after the holiday.
    assert add_working_days(date(2024, 9, 27), 3) == date(2024, 10, 8)
    # Wednesday 9 October + 3: Thu 10, Fri 11, Sat 12 (调休).
    assert add_working_days(date(2024, 10, 9), 3) == date(2024, 10, 12)


def test_spring_festival_week_is_not_counted() -> None:
    # 2025 春节: 28 January - 4 February off; Sunday 26 January and Saturday 8 February work.
    assert add_working_days(date(2025, 1, 27), 1) == date(2025, 2, 5)


def test_a_year_the_calendar_does_not_cover_counts_monday_to_friday() -> None:
    assert add_working_days(date(2031, 3, 7), 1) == date(2031, 3, 10)  # Friday → Monday


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_period_out_of_range_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="days must be"):
        add_working_days(date(2024, 6, 13), days)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"LETTER_REAL_NAME_LEVEL": "4"}, "LETTER_REAL_NAME_LEVEL must be a real-name level"),
        ({"LETTER_SITE_LEVELS": "portal=9"}, "LETTER_SITE_LEVELS[portal]"),
        ({"LETTER_SITE_LEVELS": "portal"}, "is not KEY=NUMBER"),
        ({"LETTER_REPLY_DAYS": "咨询=5,投诉=15"}, "each of 咨询, 投诉 and 建议"),
        ({"LETTER_REPLY_DAYS": "咨询=0,投诉=15,建议=15"}, "1-365 working days"),
        ({"LETTER_URL_TEMPLATE": "{origin}/letters"}, "must contain {id}"),
        ({"LETTER_URL_TEMPLATE": "{origin}/{site}/letters/{id}"}, "only {portal}, {origin} and {id}: KeyError('site')"),
        ({"LETTER_URL_TEMPLATE": "{origin}/letters/{id}{"}, "only {portal}, {origin} and {id}"),
    ],
)
def test_letter_settings_are_checked_at_start(env: dict[str, str], says: str) -> None:
    with pytest.raises(Invalid, match=re.escape(says)):
        Settings.from_env(env)


def test_letter_settings_parse() -> None:
    s = Settings.from_env({"LETTER_SITE_LEVELS": "portal=3, county-a=1", "LETTER_REPLY_DAYS": "咨询=3,投诉=10,建议=20"})
    assert required_level(s, "portal") == 3 and required_level(s, "county-a") == 1 and required_level(s, "x") == 2
    assert reply_days(s, "咨询") == 3 and reply_days(s, "建议") == 20

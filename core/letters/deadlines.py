"""Working days from the holiday calendar (chinesecalendar: 法定节假日 off, 调休 weekends on)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
MAX_WORKING_DAYS = 365


def is_working_day(day: date) -> bool:
    """A working day in China; a year the calendar does not cover yet counts Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # the calendar covers the years the State Council has announced
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (the day a letter arrives does not count)."""
    if not 1 <= days <= MAX_WORKING_DAYS:
        raise ValueError(f"days must be 1-{MAX_WORKING_DAYS}, not {days}")
    day, left = start, days
    while left:
        day += timedelta(days=1)
        left -= is_working_day(day)
    return day

"""The clock: code that needs `now` takes it from an injectable clock; dates shown are Beijing dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]
BEIJING = timedelta(hours=8)  # China keeps one time zone and no daylight saving


def system_clock() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A naive moment is taken as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_date(moment: datetime) -> date:
    """The Beijing calendar date of a moment: the date printed on government pages."""
    return (aware(moment).astimezone(UTC) + BEIJING).date()


def beijing_time(moment: datetime) -> str:
    """A moment as a person in China reads it: Beijing's date and time to the minute (2026-12-05 14:30)."""
    return (aware(moment).astimezone(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M")

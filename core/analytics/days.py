"""Windows of whole Beijing days (today, the last 7) for content and audience analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.analytics.models import Window
from core.clock import local_date
from core.errors import Invalid

DAY_WINDOWS = {Window.DAY: 1, Window.WEEK: 7}  # days per window


@dataclass(frozen=True)
class DaySpan:
    """Days `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def each(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def before(self, count: int = 1) -> DaySpan:
        """The `count` windows of this length just before this one, as one span."""
        return DaySpan(self.first - timedelta(days=self.days * count), self.first - timedelta(days=1))


def day_span(window: Window, now: datetime) -> DaySpan:
    """The window ending today (Beijing): DAY is today, WEEK the last 7 days; HOUR has no whole days."""
    days = DAY_WINDOWS.get(window)
    if days is None:
        raise Invalid(f"window must be DAY or WEEK here (whole days), not {window.name}")
    today = local_date(now)
    return DaySpan(today - timedelta(days=days - 1), today)

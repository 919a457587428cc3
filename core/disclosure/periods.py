"""Periods a disclosure covers: a month (2024-03), a quarter (2024Q1) or a year (2024)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import Invalid

MONTH = re.compile(r"(\d{4})-(\d{1,2})")
QUARTER = re.compile(r"(\d{4})\s*[Qq]([1-4])")
YEAR = re.compile(r"(\d{4})")
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True, kw_only=True)
class Period:
    """A period by its label, with its first and last day."""

    kind: str  # month, quarter, year
    label: str
    start: date
    end: date

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


@functools.lru_cache(maxsize=4096)  # an import names the same few periods on every row
def parse_period(text: str) -> Period:
    """The period a label names; Invalid for anything else."""
    raw = text.strip()
    if m := MONTH.fullmatch(raw):
        year, month = _year(raw, int(m[1])), int(m[2])
        if not 1 <= month <= 12:
            raise Invalid(f"period {raw!r}: month {month} is not 1-12")
        start, end = date(year, month, 1), _month_end(year, month)
        return Period(kind="month", label=f"{year}-{month:02d}", start=start, end=end)
    if m := QUARTER.fullmatch(raw):
        year, q = _year(raw, int(m[1])), int(m[2])
        return Period(kind="quarter", label=f"{year}Q{q}", start=date(year, 3 * q - 2, 1), end=_month_end(year, 3 * q))
    if m := YEAR.fullmatch(raw):
        year = _year(raw, int(m[1]))
        return Period(kind="year", label=str(year), start=date(year, 1, 1), end=date(year, 12, 31))
    raise Invalid(f"period {raw!r} is not a month (2024-03), a quarter (2024Q1) or a year (2024)")


def _year(raw: str, year: int) -> int:
    """A period's year, within the years a disclosure register covers (as a fund's year: 2000-2100)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"period {raw!r}: year {year} is not between {FIRST_YEAR} and {LAST_YEAR}")
    return year


def check_in_period(period: Period, day: date, *, what: str = "date") -> date:
    if not period.holds(day):
        raise Invalid(f"{what} {day.isoformat()} is outside the period {period.label} ({period.start} to {period.end})")
    return day

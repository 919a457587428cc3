"""Windows, query normalisation and the result records of search analytics."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from core.errors import Invalid
from core.search.query import query_words
from core.textzh.normalize import fold

QUERY_MAX = 200
SOURCE_MAX = 40
MAX_LIMIT = 100
HOUR = timedelta(hours=1)


class Window(enum.Enum):
    """A look-back of whole hourly buckets: the current (partial) hour and the ones before it."""

    HOUR = 1
    DAY = 24
    WEEK = 168

    @property
    def hours(self) -> int:
        return int(self.value)

    @classmethod
    def parse(cls, name: str) -> Window:
        try:
            return cls[name.upper()]
        except KeyError:
            raise Invalid(f"window must be one of {'/'.join(w.name for w in cls)}, not {name!r}") from None


class _Rates:
    """Zero-result and click-through rates of anything that counts searches."""

    searches: int
    zero_results: int
    clicked_searches: int

    @property
    def zero_result_rate(self) -> float:
        return self.zero_results / self.searches if self.searches else 0.0

    @property
    def click_through_rate(self) -> float:
        return self.clicked_searches / self.searches if self.searches else 0.0


@dataclass(frozen=True)
class Span:
    """The hourly buckets [first, last] of a window ending at `now`, and how much of it has elapsed."""

    first: datetime
    last: datetime
    elapsed_hours: float

    @classmethod
    def of(cls, window: Window, now: datetime) -> Span:
        last = floor_hour(now)
        elapsed = window.hours - 1 + (_utc(now) - last) / HOUR
        return cls(last - (window.hours - 1) * HOUR, last, elapsed)

    def previous(self, window: Window) -> Span:
        shift = window.hours * HOUR
        return Span(self.first - shift, self.last - shift, float(window.hours))


def floor_hour(at: datetime) -> datetime:
    return _utc(at).replace(minute=0, second=0, microsecond=0)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def parse_at(value: object) -> datetime:
    """An event's ISO-8601 time (naive means UTC)."""
    if not isinstance(value, str):
        raise Invalid(f"event time must be an ISO-8601 string, not {value!r}")
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        raise Invalid(f"event time {value!r} is not ISO-8601") from None


@lru_cache(maxsize=65_536)
def normalize_query(query: str) -> str:
    """The key a query is counted under: its words without search operators (core.search.query.query_words:
    "社保卡 site:x" and '"社保卡" -广州' count as 社保卡), folded (简繁, 全半角, case), whitespace collapsed, capped."""
    return fold(query_words(query))[:QUERY_MAX]


def check_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= maximum:
        raise Invalid(f"limit must be between 1 and {maximum}, not {limit}")
    return limit


@dataclass(frozen=True)
class SourceStats(_Rates):
    """Counters of one search source (api, portal box, suggestion, …) over a window."""

    source: str
    searches: int
    zero_results: int
    clicked_searches: int


@dataclass(frozen=True, kw_only=True)
class SearchStats(_Rates):
    """What the public searched over a window: volume, failures, clicks."""

    window: Window
    site: str | None
    searches: int
    zero_results: int
    clicks: int
    clicked_searches: int
    position_sum: int
    distinct_queries: int
    by_source: list[SourceStats]

    @property
    def mean_click_position(self) -> float | None:
        return self.position_sum / self.clicks if self.clicks else None


@dataclass(frozen=True)
class QueryCount(_Rates):
    """One normalised query with its counters over a window."""

    query: str
    searches: int
    zero_results: int
    clicks: int
    clicked_searches: int


@dataclass(frozen=True)
class RisingQuery:
    """A query searched more than in the previous window; growth compares rates (partial hour scaled)."""

    query: str
    searches: int
    previous: int
    growth: float


@dataclass(frozen=True)
class TrendPoint:
    """One hour of one query."""

    hour: datetime
    searches: int
    zero_results: int
    clicks: int

"""Freshness rules: each category a village must keep disclosing (财务 monthly, 村(居)务 quarterly, …) with the
days it may go without a new published item (DISCLOSURE_FRESHNESS_DAYS); a village past them is a finding,
listed per unit and for everything under a township, district or city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import asyncpg

from core.clock import BEIJING, local_date
from core.disclosure.boards import check_category
from core.disclosure.hierarchy import check_code, subtree
from core.errors import Invalid
from core.setting_values import number_pairs
from core.settings import Settings

# The last published item of each category of a unit: the index (unit_code, category, …) narrows it to them.
LAST = """select c.category, c.max_days,
    (select max(published_at) from disclosure_items i where i.unit_code = $1 and i.category = c.category
     and i.published_at is not null and i.withdrawn_at is null) as last_published
    from unnest($2::text[], $3::int[]) as c (category, max_days) order by c.category"""
STALE = """select u.code, u.name, c.category, c.max_days, l.last_published, count(*) over () as total
    from disclosure_units u cross join unnest($2::text[], $3::int[]) as c (category, max_days)
    left join lateral (
        select max(published_at) as last_published from disclosure_items i
        where i.unit_code = u.code and i.category = c.category and i.published_at is not null
          and i.withdrawn_at is null) l on true
    where u.code between $1 and $7 and u.level = '村社区'
      and (l.last_published is null or l.last_published < $4::timestamptz - make_interval(days => c.max_days))
    order by u.code, c.category offset $5 limit $6"""


@dataclass(frozen=True, kw_only=True)
class Freshness:
    """How fresh one category of one unit is."""

    unit_code: str
    unit_name: str
    category: str
    max_days: int
    last_published: datetime | None
    days_since: int | None  # None: nothing published yet
    stale: bool


def rules(settings: Settings) -> dict[str, int]:
    """Category -> days allowed, from DISCLOSURE_FRESHNESS_DAYS (categories checked against the boards)."""
    out: dict[str, int] = {}
    for name, days in number_pairs("DISCLOSURE_FRESHNESS_DAYS", settings.disclosure_freshness_days).items():
        if days < 1:
            raise Invalid(f"DISCLOSURE_FRESHNESS_DAYS: {name} must allow at least 1 day")
        out[check_category(name)[1]] = days
    return out


def _freshness(code: str, name: str, category: str, max_days: int, last: datetime | None, today: date) -> Freshness:
    since = (today - local_date(last)).days if last else None
    return Freshness(
        unit_code=code,
        unit_name=name,
        category=category,
        max_days=max_days,
        last_published=last,
        days_since=since,
        stale=since is None or since > max_days,
    )


def _start_of(today: date) -> datetime:
    """The first moment of a Beijing day, as an aware UTC time."""
    return datetime.combine(today, time(tzinfo=UTC)) - BEIJING


async def unit_freshness(
    *, pool: asyncpg.Pool, settings: Settings, code: str, name: str, now: datetime
) -> list[Freshness]:
    """Every rule's category of the unit, stale or not."""
    found = rules(settings)
    rows = await pool.fetch(LAST, check_code(code), list(found), list(found.values()))
    today = local_date(now)
    return [_freshness(code, name, r["category"], r["max_days"], r["last_published"], today) for r in rows]


async def stale_villages(
    *, pool: asyncpg.Pool, settings: Settings, under: str, now: datetime, offset: int, limit: int
) -> tuple[list[Freshness], int]:
    """The findings under a unit: each village and category past its days, in code order, and how many."""
    found = rules(settings)
    today = local_date(now)
    cutoff = _start_of(today)  # stale: published before the first day inside the allowance
    first, last = subtree(check_code(under))
    rows = await pool.fetch(STALE, first, list(found), list(found.values()), cutoff, offset, limit, last)
    total = int(rows[0]["total"]) if rows else 0
    return [
        _freshness(r["code"], r["name"], r["category"], r["max_days"], r["last_published"], today) for r in rows
    ], total

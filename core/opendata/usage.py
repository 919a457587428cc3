"""Usage statistics per dataset and day: views (package_show), datastore API calls, downloads and dumps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import asyncpg

Kind = Literal["view", "api", "download"]
MAX_DAYS = 366


@dataclass(frozen=True, kw_only=True)
class UsageDay:
    """One day of a dataset's use."""

    day: date
    views: int
    api_calls: int
    downloads: int


async def count(pool: asyncpg.Pool, dataset_id: str, kind: Kind, *, day: date) -> None:
    """One more use of the dataset today."""
    await pool.execute(
        """insert into opendata_usage (dataset_id, day, kind, calls) values ($1::uuid, $2, $3, 1)
           on conflict (dataset_id, day, kind) do update set calls = opendata_usage.calls + 1""",
        dataset_id,
        day,
        kind,
    )


async def usage_of(pool: asyncpg.Pool, dataset_id: str, *, days: int, today: date) -> list[UsageDay]:
    """The dataset's use over the last `days` days (days without any left out), newest first."""
    since = today - timedelta(days=max(1, min(days, MAX_DAYS)) - 1)
    rows = await pool.fetch(
        """select day, coalesce(sum(calls) filter (where kind = 'view'), 0) as views,
                  coalesce(sum(calls) filter (where kind = 'api'), 0) as api_calls,
                  coalesce(sum(calls) filter (where kind = 'download'), 0) as downloads
           from opendata_usage where dataset_id = $1::uuid and day >= $2 group by day order by day desc""",
        dataset_id,
        since,
    )
    return [UsageDay(day=r["day"], views=r["views"], api_calls=r["api_calls"], downloads=r["downloads"]) for r in rows]


async def totals(pool: asyncpg.Pool, dataset_id: str, *, today: date) -> dict[str, int]:
    """CKAN's tracking_summary: every view, and those of the last 14 days."""
    row = await pool.fetchrow(
        """select coalesce(sum(calls), 0) as total, coalesce(sum(calls) filter (where day > $2), 0) as recent
           from opendata_usage where dataset_id = $1::uuid and kind = 'view'""",
        dataset_id,
        today - timedelta(days=14),
    )
    return {"total": int(row["total"]), "recent": int(row["recent"])} if row else {"total": 0, "recent": 0}

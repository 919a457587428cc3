"""Usage statistics per dataset and day: views (package_show), datastore API calls, downloads and dumps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import asyncpg

Kind = Literal["view", "api", "download"]
MAX_DAYS = 366
# A count is committed without waiting for the WAL to reach the disk (asynchronous commit, for this transaction
# only): a request does not wait on an fsync for a statistic, and a crash loses at most the last moment's counts.
ASYNC_COMMIT = "(select set_config('synchronous_commit', 'off', true)) as async_commit"
UPSERT = """insert into opendata_usage (dataset_id, day, kind, calls) select {dataset}::uuid, {day}::date, {kind}, 1
    from {ASYNC_COMMIT} where {when}
    on conflict (dataset_id, day, kind) do update set calls = opendata_usage.calls + 1"""


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
        UPSERT.format(dataset="$1", day="$2", kind="$3", ASYNC_COMMIT=ASYNC_COMMIT, when="true"), dataset_id, day, kind
    )


def counting(*, dataset: str, day: str, kind: Kind, when: str = "true") -> str:
    """A WITH item that counts one more use in the statement carrying it (whose arguments `dataset` and `day`
    name), when the condition `when` holds: the use is counted in the same round trip as the work it counts."""
    upsert = UPSERT.format(dataset=dataset, day=day, kind=f"'{kind}'", ASYNC_COMMIT=ASYNC_COMMIT, when=when)
    return f"used as ({upsert})"


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

"""回头看: checks of linked (not uploaded) resources' download links; a worker fetches, this module records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

RECHECK_AFTER = timedelta(hours=20)  # a daily job checks each link again; slack for the job's own jitter
MAX_LINKS_PER_RUN = 5_000  # the rest wait for the next run (the oldest checks come first)


@dataclass(frozen=True, kw_only=True)
class LinkResult:
    """What one check of a resource's URL found: ok (a 2xx in time) or the status, the `code: detail` error (for
    admins) and the failure's class (HTTP 404, DNS, timeout …: for anyone)."""

    resource_id: str
    url: str
    ok: bool
    checked_at: datetime
    status: int | None = None
    error: str | None = None
    failure: str | None = None
    elapsed_ms: int | None = None


async def links_to_check(*, pool: asyncpg.Pool, now: datetime, limit: int = MAX_LINKS_PER_RUN) -> list[tuple[str, str]]:
    """(resource id, URL) of active datasets' linked http(s) resources not checked at their current URL lately,
    never-checked and oldest-checked first."""
    rows = await pool.fetch(
        """select r.id::text as id, r.url from opendata_resources r
           join opendata_datasets d on d.id = r.dataset_id
           left join opendata_link_checks c on c.resource_id = r.id
           where d.state = 'active' and r.url_type <> 'upload' and r.url ~* '^https?://'
             and (c.resource_id is null or c.url <> r.url or c.checked_at < $1)
           order by c.checked_at nulls first, r.id limit $2""",
        now - RECHECK_AFTER,
        limit,
    )
    return [(r["id"], r["url"]) for r in rows]


async def record_link_checks(*, pool: asyncpg.Pool, results: Sequence[LinkResult]) -> None:
    """Keep each resource's last check; failures of the same URL in a row are counted from the first one."""
    await pool.executemany(
        """insert into opendata_link_checks as c
               (resource_id, url, ok, status, error, failure, elapsed_ms, failures, first_failed, checked_at)
           select $1::uuid, $2, $3, $4, $5, $8, $6, case when $3 then 0 else 1 end,
                  case when $3 then null else $7::timestamptz end, $7::timestamptz
           where exists (select 1 from opendata_resources r where r.id = $1::uuid)
           on conflict (resource_id) do update set
               url = excluded.url, ok = excluded.ok, status = excluded.status, error = excluded.error,
               failure = excluded.failure, elapsed_ms = excluded.elapsed_ms, checked_at = excluded.checked_at,
               failures = case when excluded.ok then 0
                               when c.url = excluded.url and not c.ok then c.failures + 1 else 1 end,
               first_failed = case when excluded.ok then null
                                   when c.url = excluded.url and not c.ok then c.first_failed
                                   else excluded.checked_at end""",
        [(r.resource_id, r.url, r.ok, r.status, r.error, r.elapsed_ms, r.checked_at, r.failure) for r in results],
    )


@dataclass(frozen=True, kw_only=True)
class BrokenLink:
    """A linked resource whose current URL failed its last check."""

    resource_id: str
    url: str
    status: int | None
    failure: str | None
    failures: int
    first_failed: datetime | None
    checked_at: datetime


async def broken_links(*, pool: asyncpg.Pool, dataset_id: str) -> list[BrokenLink]:
    """A dataset's linked resources whose current URL failed its last check."""
    rows = await pool.fetch(
        """select c.resource_id::text as resource_id, c.url, c.status, c.failure, c.failures, c.first_failed,
                  c.checked_at
           from opendata_link_checks c join opendata_resources r on r.id = c.resource_id and r.url = c.url
           where r.dataset_id = $1::uuid and not c.ok and r.url_type <> 'upload' order by r.position""",
        dataset_id,
    )
    return [BrokenLink(**dict(r.items())) for r in rows]

"""When monitoring jobs are due: homepage probes ≥ 20 a day, link checks daily once a site is crawled (the open-data
catalogue's too), inspections after crawls or daily."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import dramatiq

from core.jobs import CHECK_DATA_LINKS, CHECK_LINKS, INSPECT_SITE, PROBE_HOMEPAGE, job_message
from core.monitoring.job_runs import IN_FLIGHT_FOR, in_flight, send_recorded
from core.monitoring.thresholds import load_overrides, rule
from core.settings import Settings, get_settings

DAY = timedelta(days=1)

DUE = """
    select s.id from site_list s where s.enabled
      and not exists (select 1 from job_runs j where j.actor = $1 and j.key = s.id and j.enqueued_at > $2)
    order by s.id"""
# A site's links are checked once it has been crawled: checked before, they are none, and the next check would come
# a day after the first crawl (a new site would show every link unchecked for its first day).
LINKS_DUE = """
    select s.id from site_list s where s.enabled
      and exists (select 1 from done_crawls c where c.site_id = s.id)
      and not exists (select 1 from job_runs j where j.actor = $1 and j.key = s.id and j.enqueued_at > $2)
    order by s.id"""
# Sites no one crawls are inspected too when a feature fills them: the open-data site (OPENDATA_SITE) and the
# disclosure units' sites (unit-<code>), whose rules read those features' views.
INSPECTION_DUE = """
    select s.id from site_list s where (s.enabled or s.id = $3 or s.id ~ '^unit-[0-9]{12}$')
      and not exists (select 1 from job_runs j where j.actor = $1 and j.key = s.id and j.enqueued_at > $2)
    order by s.id"""
# The open-data site's daily check of its catalogue's linked resources (core.opendata.links).
OPENDATA_DUE = """
    select s.id from site_list s where s.id = $3
      and not exists (select 1 from job_runs j where j.actor = $1 and j.key = s.id and j.enqueued_at > $2)"""
# Not while an inspection of the site is in flight (core.monitoring.job_runs): it is asked for again on the first
# tick after that one ends, as the crawl is still later than the last inspection queued.
CRAWLED_SINCE_INSPECTION = f"""
    select s.id from site_list s where s.enabled
      and exists (select 1 from done_crawls c where c.site_id = s.id
                  and c.finished_at > coalesce((select max(j.enqueued_at) from job_runs j
                                                where j.actor = $1 and j.key = s.id), '-infinity'))
      and not exists (select 1 from job_runs j where j.actor = $1 and j.key = s.id and {in_flight("$2")})
    order by s.id"""


async def due_jobs(
    pool: asyncpg.Pool, now: datetime, *, settings: Settings | None = None
) -> list[tuple[tuple[str, str], str]]:
    """(actor, site id) pairs to enqueue now; `record_enqueued` must follow each send."""
    settings = settings or get_settings()
    overrides = await load_overrides(pool)
    per_day = rule("site_unreachable").settings(overrides.get("site_unreachable", {}))["probes_per_day"]
    probe_every = DAY / max(per_day, 1.0)
    due: list[tuple[tuple[str, str], str]] = []
    for r in await pool.fetch(DUE, PROBE_HOMEPAGE[0], now - probe_every):
        due.append((PROBE_HOMEPAGE, r["id"]))
    for r in await pool.fetch(LINKS_DUE, CHECK_LINKS[0], now - DAY):
        due.append((CHECK_LINKS, r["id"]))
    inspect = {r["id"] for r in await pool.fetch(INSPECTION_DUE, INSPECT_SITE[0], now - DAY, settings.opendata_site)}
    crawled = await pool.fetch(CRAWLED_SINCE_INSPECTION, INSPECT_SITE[0], now - IN_FLIGHT_FOR)
    inspect |= {r["id"] for r in crawled}
    due += [(INSPECT_SITE, site_id) for site_id in sorted(inspect)]
    for r in await pool.fetch(OPENDATA_DUE, CHECK_DATA_LINKS[0], now - DAY, settings.opendata_site):
        due.append((CHECK_DATA_LINKS, r["id"]))
    return due


async def last_enqueued(pool: asyncpg.Pool, actor: tuple[str, str], key: str) -> datetime | None:
    """When `actor` was last enqueued for `key`: for a job the scheduler sends on an interval of its own."""
    last: datetime | None = await pool.fetchval(
        "select max(enqueued_at) from job_runs where actor = $1 and key = $2", actor[0], key
    )
    return last


async def record_enqueued(
    pool: asyncpg.Pool, actor: tuple[str, str], site_id: str, message_id: str, now: datetime
) -> None:
    await pool.execute(
        "insert into job_runs (actor, key, message_id, enqueued_at) values ($1, $2, $3, $4)",
        actor[0],
        site_id,
        message_id,
        now,
    )


async def enqueue(
    pool: asyncpg.Pool, broker: dramatiq.Broker, actor: tuple[str, str], site_id: str, now: datetime
) -> str:
    """Record a monitoring job for a site, then send it (the record is what makes the next one due later). Recorded
    first, under the id it will have, as core.monitoring.job_runs does: a worker that takes the message at once
    finds the row it marks running, which would otherwise stay queued and read as in flight for an hour."""
    message = job_message(actor, site_id)
    await record_enqueued(pool, actor, site_id, str(message.message_id), now)
    return await send_recorded(pool, broker, message)

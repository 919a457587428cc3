"""Facts from other features' views: the open-data quality review (opendata_quality_findings and
opendata_dataset_freshness, core.opendata) and
disclosure freshness (disclosure_latest, core.disclosure), as the interaction rule reads letter_deadlines."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from core.clock import BEIJING, local_date
from core.disclosure.freshness import rules as freshness_days
from core.disclosure.hierarchy import level_of, subtree
from core.errors import Invalid
from core.monitoring.models import DataQualityFacts, DisclosureFacts, QualityProblem, StaleCategory
from core.settings import Settings

log = logging.getLogger(__name__)

# Bounded like the letters: a catalogue with a million problems costs an inspection the same as one with 20,000.
MAX_QUALITY_PROBLEMS = 20_000
QUALITY = """select kind, field, count, summary, found_at, resource_id::text, dataset_id::text, dataset, department,
                    department_title, count(*) over () as total
             from opendata_quality_findings order by department, dataset, resource_id, kind, field limit $1"""

# Datasets gone unchanged longer than their declared update frequency allows, judged by the inspection's clock.
STALE_DATASETS = """select dataset_id::text, dataset, department, department_title, frequency, max_days, updated
    from opendata_dataset_freshness where updated < $1::timestamptz - make_interval(days => max_days)
    order by department, dataset limit $2"""

UNIT_SITE = re.compile(r"^unit-([0-9]{12})$")
VILLAGES_LISTED = 20  # villages named in a roll-up finding; `villages` says how many there are
# Each village (a unit site of a 村社区 code) under the unit and each category past its days, counted per category
# with the first villages in code order. The view is narrowed to the subtree's code range before it groups.
STALE = """
    with latest as (
        select unit_code, category, last_published from disclosure_latest
        where unit_code between $1 and $2 and category = any($3::text[]))
    select c.category, c.max_days, count(*) as villages,
           (array_agg(json_build_object('code', substr(s.id, 6), 'name', s.name, 'site', s.id,
                                        'last_published', l.last_published) order by s.id))[1:$6] as listed
    from site_list s cross join unnest($3::text[], $4::int[]) as c (category, max_days)
    left join latest l on l.unit_code = substr(s.id, 6) and l.category = c.category
    where s.id between 'unit-' || $1 and 'unit-' || $2 and s.id ~ '^unit-[0-9]{12}$'
      and right(s.id, 3) <> '000'
      and (l.last_published is null or l.last_published < $5::timestamptz - make_interval(days => c.max_days))
    group by c.category, c.max_days order by c.category"""


def _problem(r: asyncpg.Record) -> QualityProblem:
    return QualityProblem(
        dataset_id=r["dataset_id"],
        dataset=r["dataset"],
        department=r["department"],
        department_title=r["department_title"],
        resource_id=r["resource_id"],
        kind=r["kind"],
        field=r["field"],
        count=int(r["count"]),
        summary=r["summary"],
        found_at=r["found_at"],
    )


async def load_data_quality(
    pool: asyncpg.Pool, site_id: str, settings: Settings, now: datetime
) -> DataQualityFacts | None:
    """The quality review's problems when `site_id` is the open-data site (OPENDATA_SITE), else None: those of
    the resources (and their links), then the datasets stale at `now`."""
    if not settings.opendata_site or site_id != settings.opendata_site:
        return None
    rows = await pool.fetch(QUALITY, MAX_QUALITY_PROBLEMS)
    stale = await pool.fetch(STALE_DATASETS, now, MAX_QUALITY_PROBLEMS)
    problems = [_problem(r) for r in rows] + [_stale(r, now) for r in stale]
    total = (int(rows[0]["total"]) if rows else 0) + len(stale)  # past the bound: more than shown, not judged
    return DataQualityFacts(problems=problems[:MAX_QUALITY_PROBLEMS], total=total)


def _stale(r: asyncpg.Record, now: datetime) -> QualityProblem:
    days = (now - r["updated"]).days
    late = days - int(r["max_days"])
    return QualityProblem(
        dataset_id=r["dataset_id"],
        dataset=r["dataset"],
        department=r["department"],
        department_title=r["department_title"],
        resource_id="",
        kind="stale",
        field="",
        count=late,
        summary=f"声明“{r['frequency']}”更新，{days} 天未更新，超期 {late} 天",
        found_at=r["updated"] + timedelta(days=int(r["max_days"])),
    )


def unit_code_of(site_id: str) -> str | None:
    """The unit code of a unit's site (unit-<12 digits> of a 市, 区县, 乡镇街道 or 村社区), else None."""
    m = UNIT_SITE.match(site_id)
    if m is None:
        return None
    try:
        level_of(m.group(1))
    except Invalid:
        return None
    return m.group(1)


def _listed(raw: object, today: date) -> dict[str, object]:
    v = json.loads(raw) if isinstance(raw, str) else dict(raw)  # type: ignore[call-overload]
    last = datetime.fromisoformat(v["last_published"]) if v.get("last_published") else None
    day = local_date(last) if last else None
    v["last_published"] = day.isoformat() if day else None
    v["days_since"] = (today - day).days if day else None
    return v


async def load_disclosure(
    pool: asyncpg.Pool, site_id: str, settings: Settings, now: datetime
) -> DisclosureFacts | None:
    """A unit's site: the categories past their days in its villages (the unit itself, for a village)."""
    code = unit_code_of(site_id)
    if code is None:
        return None
    level = level_of(code)
    try:
        days = freshness_days(settings)
    except Invalid as e:
        log.warning("bad DISCLOSURE_FRESHNESS_DAYS: not judged", extra={"site": site_id, "error": str(e)})
        return DisclosureFacts(code=code, level=level, categories={}, stale=[], error=str(e))
    today = local_date(now)
    cutoff = datetime.combine(today, time(tzinfo=UTC)) - BEIJING  # the first moment of today, Beijing
    first, last = subtree(code)
    rows = await pool.fetch(STALE, first, last, list(days), list(days.values()), cutoff, VILLAGES_LISTED)
    stale = [
        StaleCategory(
            category=r["category"],
            max_days=int(r["max_days"]),
            villages=int(r["villages"]),
            listed=[_listed(v, today) for v in r["listed"]],
        )
        for r in rows
    ]
    return DisclosureFacts(code=code, level=level, categories=days, stale=stale)

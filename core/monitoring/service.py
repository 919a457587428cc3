"""Monitoring services: inspect a site, record probes and link checks, edit wrong expressions and column types."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime

import asyncpg

from core.bus import AlertRaised, Bus
from core.clock import aware, local_date
from core.errors import Invalid
from core.locks import Lock
from core.monitoring.columns import COLUMN_TYPES, column_type_of
from core.monitoring.facts import load_facts
from core.monitoring.models import LinkCheck, Probe, RuleResult, RuleScore, Scorecard, WrongExpression
from core.monitoring.store import reconcile
from core.monitoring.thresholds import RULES, RULES_BY_NAME, load_overrides
from core.settings import Settings
from core.sites import set_type_override

log = logging.getLogger(__name__)
FULL_SCORE = 100.0


def scorecard_of(site_id: str, now: datetime, results: Sequence[RuleResult]) -> Scorecard:
    items = [RuleScore.of(r) for r in results if r.listed]
    score = max(0.0, FULL_SCORE - sum(i.deduction for i in items if i.applies))
    return Scorecard(site_id, now, round(score, 2), not any(i.vetoed for i in items), items)


async def inspect(
    pool: asyncpg.Pool,
    site_id: str,
    now: datetime,
    rules: Iterable[str] | None = None,
    *,
    settings: Settings | None = None,
) -> tuple[Scorecard, list[AlertRaised]]:
    """Run the rules on a site at `now`: findings open, refresh or close, and the scorecard is stored
    (`settings`, the process's by default, say which site is the open-data site and disclosure's freshness days).

    Returns the scorecard and the alerts to publish once this has committed (see `inspect_and_alert`).
    """
    now = aware(now)
    chosen = [RULES_BY_NAME[n] for n in rules] if rules is not None else list(RULES)
    overrides = await load_overrides(pool)
    limits = {r.name: r.settings(overrides.get(r.name, {})) for r in chosen}
    probe_days = limits.get("site_unreachable", {}).get("window_days", 7)
    facts = await load_facts(pool, site_id, now, probe_days=probe_days, settings=settings)
    results = [r.judge(facts, limits[r.name], now) for r in chosen]
    card = scorecard_of(site_id, now, results)
    alerts: list[AlertRaised] = []
    async with pool.acquire() as conn, conn.transaction():
        await Lock.INSPECT.hold(conn, site_id)
        for result in results:
            alerts += await reconcile(conn, site_id, result, now)
        if rules is None:
            await conn.execute(
                "insert into inspections (site_id, inspected_at, score, passed, scorecard) values ($1, $2, $3, $4, $5)",
                site_id,
                now,
                card.score,
                card.passed,
                json.dumps([asdict(i) for i in card.items], ensure_ascii=False),
            )
    log.info(
        "site inspected", extra={"site": site_id, "score": card.score, "passed": card.passed, "alerts": len(alerts)}
    )
    return card, alerts


async def inspect_and_alert(
    pool: asyncpg.Pool, bus: Bus, site_id: str, now: datetime, *, settings: Settings | None = None
) -> Scorecard:
    """Inspect, then publish each opened or closed finding as an AlertRaised (after the commit)."""
    card, alerts = await inspect(pool, site_id, now, settings=settings)
    for alert in alerts:
        await bus.publish(alert)
    return card


async def latest_scorecard(pool: asyncpg.Pool, site_id: str) -> Scorecard | None:
    row = await pool.fetchrow(
        "select inspected_at, score, passed, scorecard from inspections where site_id = $1 "
        "order by inspected_at desc, id desc limit 1",
        site_id,
    )
    if row is None:
        return None
    raw = json.loads(row["scorecard"]) if isinstance(row["scorecard"], str) else row["scorecard"]
    return Scorecard(site_id, row["inspected_at"], row["score"], row["passed"], [RuleScore(**i) for i in raw])


async def record_probe(pool: asyncpg.Pool, site_id: str, url: str, probe: Probe) -> None:
    await pool.execute(
        "insert into monitor_probes (site_id, url, probed_at, ok, status, elapsed_ms, error) "
        "values ($1, $2, $3, $4, $5, $6, $7)",
        site_id,
        url,
        aware(probe.probed_at),
        probe.ok,
        probe.status,
        probe.elapsed_ms,
        probe.error,
    )


async def links_to_check(pool: asyncpg.Pool, site_id: str, now: datetime, limit: int = 20_000) -> list[str]:
    """Distinct http(s) URLs linked from the site's pages that have no check yet on today's date."""
    rows = await pool.fetch(
        """select distinct l.to_url from document_links l join live_documents d on d.id = l.from_doc
           where d.site_id = $1 and l.to_url ~ '^https?://'
             and not exists (select 1 from link_checks c where c.url = l.to_url and c.day = $2)
           order by l.to_url limit $3""",
        site_id,
        local_date(now),
        limit,
    )
    return [r["to_url"] for r in rows]


async def record_link_checks(pool: asyncpg.Pool, checks: Sequence[LinkCheck]) -> None:
    """Store checks, one per URL per (Beijing) day; a later check the same day replaces the earlier. Rows are
    written in (URL, day) order: sites share off-site links, and two sites' batches locking the same rows in
    different orders would deadlock."""
    latest: dict[tuple[str, date], LinkCheck] = {}
    for c in sorted(checks, key=lambda c: aware(c.checked_at)):
        latest[(c.url, local_date(c.checked_at))] = c
    await pool.executemany(
        """insert into link_checks (url, day, ok, status, error, elapsed_ms, checked_at)
           values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (url, day) do update set ok = excluded.ok, status = excluded.status, error = excluded.error,
               elapsed_ms = excluded.elapsed_ms, checked_at = excluded.checked_at""",
        [
            (url, day, c.ok, c.status, c.error, c.elapsed_ms, aware(c.checked_at))
            for (url, day), c in sorted(latest.items())
        ],
    )


async def list_wrong_expressions(pool: asyncpg.Pool) -> list[WrongExpression]:
    rows = await pool.fetch("select wrong, right_form, category from wrong_expressions order by category, wrong")
    return [WrongExpression(r["wrong"], r["right_form"], r["category"]) for r in rows]


async def put_wrong_expression(
    pool: asyncpg.Pool, *, wrong: str, right: str, category: str = "term"
) -> WrongExpression:
    wrong, right = wrong.strip(), right.strip()
    if not 2 <= len(wrong) <= 100 or not right or len(right) > 100:
        raise Invalid("wrong and right must be 2 to 100 characters")
    if wrong == right:
        raise Invalid("the wrong form and the right form are the same")
    if category not in ("term", "leader", "other"):
        raise Invalid("category must be term, leader or other")
    await pool.execute(
        """insert into wrong_expressions (wrong, right_form, category) values ($1, $2, $3)
           on conflict (wrong) do update set right_form = excluded.right_form, category = excluded.category""",
        wrong,
        right,
        category,
    )
    return WrongExpression(wrong, right, category)


async def delete_wrong_expression(pool: asyncpg.Pool, wrong: str) -> bool:
    status = await pool.execute("delete from wrong_expressions where wrong = $1", wrong.strip())
    return status.endswith(" 1")


async def set_column_type(pool: asyncpg.Pool, *, site_id: str, column: str, column_type: str | None) -> str:
    """An admin's column type (None clears the override); returns the type now in effect."""
    if column_type is not None and column_type not in COLUMN_TYPES:
        raise Invalid(f"column type must be one of {', '.join(COLUMN_TYPES)}")
    effective = await set_type_override(pool, site_id=site_id, column=column, column_type=column_type)
    return str(effective or column_type_of(column))

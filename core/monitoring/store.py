"""The findings table: a rule's drafts open new findings, refresh open ones, and close the ones that passed."""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from core.bus.events import AlertRaised
from core.monitoring.models import Finding, RuleResult

# What a web office must fix leads: broken links of its own site and links whose target is gone (404/410), then
# the other rules' findings, then off-site links that failed otherwise (often the other site's passing trouble).
FINDING_ORDER = """case
    when rule not in ('homepage_broken_links', 'broken_links') then 1
    when evidence->>'off_site' = 'false' or evidence->>'status' in ('404', '410') then 0
    else 2 end, rule, first_seen, key"""
FINDING_SELECT = """select id::text, site_id, rule, key, state, summary, url, column_name, evidence, first_seen,
                           last_seen, closed_at from findings"""


def finding_of(r: asyncpg.Record) -> Finding:
    evidence = r["evidence"]
    return Finding(
        id=r["id"],
        site_id=r["site_id"],
        rule=r["rule"],
        key=r["key"],
        state=r["state"],
        summary=r["summary"],
        url=r["url"],
        column=r["column_name"],
        evidence=json.loads(evidence) if isinstance(evidence, str) else evidence,
        first_seen=r["first_seen"],
        last_seen=r["last_seen"],
        closed_at=r["closed_at"],
    )


async def reconcile(conn: asyncpg.Connection, site_id: str, result: RuleResult, now: datetime) -> list[AlertRaised]:
    """Apply one rule's result in the caller's transaction; returns the alerts to publish after commit."""
    alerts: list[AlertRaised] = []
    at = now.isoformat()
    for d in result.findings:
        row = await conn.fetchrow(
            """insert into findings (site_id, rule, key, summary, url, column_name, evidence, first_seen, last_seen)
               values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $8)
               on conflict (site_id, rule, key) where state = 'open' do update set
                   summary = excluded.summary, url = excluded.url, column_name = excluded.column_name,
                   evidence = excluded.evidence, last_seen = excluded.last_seen
               returning id::text, (xmax = 0) as inserted""",
            site_id,
            result.rule,
            d.key,
            d.summary,
            d.url,
            d.column,
            json.dumps(d.evidence, ensure_ascii=False),
            now,
        )
        if row["inserted"]:
            alerts.append(
                AlertRaised(
                    finding_id=row["id"], site_id=site_id, rule=result.rule, state="opened", summary=d.summary, at=at
                )
            )
    if result.keep_all:  # not judged at all: what was open stays open
        return alerts
    still = [d.key for d in result.findings] + sorted(result.keep)
    closed = await conn.fetch(
        """update findings set state = 'closed', closed_at = $4
           where site_id = $1 and rule = $2 and state = 'open' and not (key = any($3::text[]))
           returning id::text, summary""",
        site_id,
        result.rule,
        still,
        now,
    )
    alerts += [
        AlertRaised(finding_id=r["id"], site_id=site_id, rule=result.rule, state="closed", summary=r["summary"], at=at)
        for r in closed
    ]
    return alerts


async def list_findings(
    pool: asyncpg.Pool,
    *,
    site_id: str,
    state: str | None = "open",
    rule: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Finding], int]:
    """A page of a site's findings (open ones unless `state` says otherwise) and how many there are in all."""
    where, args = ["site_id = $1"], [site_id]
    for column, value in (("state", state), ("rule", rule)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    clause = " where " + " and ".join(where)
    # the count and the page in one snapshot: an inspection that opens and closes findings commits them all at once,
    # and between the two statements it would show the page of one inspection under the total of the next
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval("select count(*) from findings" + clause, *args)
        rows = await conn.fetch(
            FINDING_SELECT + clause + f" order by {FINDING_ORDER} offset ${len(args) + 1} limit ${len(args) + 2}",
            *args,
            offset,
            limit,
        )
    return [finding_of(r) for r in rows], int(total)

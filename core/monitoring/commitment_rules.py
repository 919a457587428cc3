"""The rule over 电视问政 commitments (tv_commitment_deadlines, core.engagement's view): a confirmed commitment still
open past its due date is a finding of its site, and so a live alert, until it is reported done."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import asyncpg

from core.clock import local_date
from core.monitoring.models import Draft, OverdueCommitment, RuleResult, SiteFacts, TvCommitmentFacts
from core.monitoring.rules import Rule

# Bounded like the letters: judged are the first (the longest overdue); `overdue_total` says how many there are.
MAX_OVERDUE = 5_000
COMMITMENTS = """
    select count(*) over () as total, count(*) filter (where status = 'open' and due_on < $2) over () as late,
           id::text, department, content, due_on, status, episode_title, programme, aired_on
    from tv_commitment_deadlines where site_id = $1
    order by (status = 'open' and due_on < $2) desc, due_on, id limit $3"""


async def load_tv_commitments(pool: asyncpg.Pool, site_id: str, now: datetime) -> TvCommitmentFacts | None:
    """The site's confirmed commitments and the overdue ones among them (Beijing date); None when it has none."""
    rows = await pool.fetch(COMMITMENTS, site_id, local_date(now), MAX_OVERDUE)
    if not rows:
        return None
    overdue = [
        OverdueCommitment(
            id=r["id"],
            department=r["department"],
            content=r["content"],
            due_on=r["due_on"],
            episode_title=r["episode_title"],
            programme=r["programme"],
            aired_on=r["aired_on"],
        )
        for r in rows
        if r["status"] == "open" and r["due_on"] < local_date(now)
    ]
    return TvCommitmentFacts(total=int(rows[0]["total"]), overdue=overdue, overdue_total=int(rows[0]["late"]))


class TvCommitmentOverdue(Rule):
    """电视问政承诺逾期: each commitment made on air, confirmed by an editor and not reported done by its due date;
    deductions only (the national indicators have no such item)."""

    name = "tv_commitment_overdue"
    indicator = False
    title = "电视问政承诺事项逾期未办结"
    veto = False
    defaults: ClassVar[dict[str, float]] = {"deduct_each": 0.5, "deduct_max": 5.0}

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        tv = facts.tv_commitments
        if tv is None:
            return self.result([], t, "无电视问政承诺事项，不适用", vetoed=False, applies=False)
        today = local_date(now)
        findings = [_draft(c, (today - c.due_on).days) for c in tv.overdue]
        measured = f"电视问政承诺事项 {tv.total} 项，逾期未办结 {tv.overdue_total} 项"
        counted = self.counted(findings, t, measured)
        if tv.overdue_total <= len(findings):
            return counted
        measured += f"（本次判定前 {len(findings)} 项）"  # past the bound: no open finding closes until all fit
        return self.result(findings, t, measured, vetoed=False, deduction=counted.deduction, keep_all=True)


def _draft(c: OverdueCommitment, days: int) -> Draft:
    return Draft(
        key=f"commitment:{c.id}",
        summary=f"{c.department}在《{c.programme}》（{c.aired_on}）承诺的事项逾期 {days} 天未办结"
        f"（期限 {c.due_on}）：{c.content[:80]}",
        evidence={
            "commitment_id": c.id,
            "department": c.department,
            "content": c.content,
            "due_on": c.due_on.isoformat(),
            "days_overdue": days,
            "episode": c.episode_title,
            "programme": c.programme,
            "aired_on": c.aired_on.isoformat(),
        },
    )

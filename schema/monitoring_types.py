"""GraphQL types of monitoring: scorecards, findings, inventory, update trends, alerts and admin lists."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core.bus.events import AlertRaised
from core.monitoring import Finding as FindingRecord
from core.monitoring import RuleScore as RuleScoreRecord
from core.monitoring import Scorecard as ScorecardRecord
from core.monitoring import Threshold as ThresholdRecord
from core.monitoring import WrongExpression as WrongExpressionRecord
from core.monitoring.inventory import SiteInventory as InventoryRecord
from core.monitoring.inventory import WeekCount as WeekCountRecord
from core.monitoring.link_rules import public_evidence
from schema.permissions import caller_is_admin


@strawberry.enum(description="Whether a finding still stands")
class FindingState(Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.type(description="A named number")
class NamedValue:
    name: str
    value: float


@strawberry.type(description="One rule's line of the scorecard")
class RuleScore:
    rule: str
    title: str = strawberry.field(description="The indicator's name, e.g. 站点无法访问")
    count: int = strawberry.field(description="Open findings of this rule")
    vetoed: bool = strawberry.field(description="The site fails the inspection on this item (单项否决)")
    veto_rule: bool = strawberry.field(description="Whether this rule can veto at all")
    deduction: float
    measured: str = strawberry.field(description="What was measured, in words")
    thresholds: list[NamedValue]
    applies: bool = strawberry.field(
        description="false: 不适用, the site has nothing this indicator judges (a disclosure unit's site has no "
        "homepage, columns or links); it neither vetoes nor deducts"
    )

    @classmethod
    def of(cls, r: RuleScoreRecord) -> RuleScore:
        return cls(
            rule=r.rule,
            title=r.title,
            count=r.count,
            vetoed=r.vetoed,
            veto_rule=r.veto_rule,
            deduction=r.deduction,
            measured=r.measured,
            thresholds=[NamedValue(name=k, value=v) for k, v in r.thresholds.items()],
            applies=r.applies,
        )


@strawberry.type(description="A site's inspection result: veto items and a score after deductions")
class Scorecard:
    site_id: strawberry.ID
    inspected_at: datetime
    score: float
    passed: bool
    items: list[RuleScore]
    vetoes: list[RuleScore]

    @classmethod
    def of(cls, c: ScorecardRecord) -> Scorecard:
        return cls(
            site_id=strawberry.ID(c.site_id),
            inspected_at=c.inspected_at,
            score=c.score,
            passed=c.passed,
            items=[RuleScore.of(i) for i in c.items],
            vetoes=[RuleScore.of(i) for i in c.vetoes],
        )


async def _evidence(root: Finding, info: Info) -> JSON:
    # Link checks reach other hosts: anonymous callers see the class of a failure, admins its detail.
    admin = await caller_is_admin(info)
    shown = root.stored_evidence if admin else public_evidence(root.rule, root.stored_evidence)
    return shown  # type: ignore[return-value]


@strawberry.type(description="A failed check with its evidence; it closes itself when a later check passes")
class Finding:
    id: strawberry.ID
    site_id: strawberry.ID
    rule: str
    state: str
    summary: str
    url: str | None
    column: str | None
    evidence: JSON = strawberry.field(
        resolver=_evidence, description="URLs, dates, HTTP status and positions, as the rule found them"
    )
    first_seen: datetime
    last_seen: datetime
    closed_at: datetime | None
    stored_evidence: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, f: FindingRecord) -> Finding:
        return cls(
            id=strawberry.ID(f.id),
            site_id=strawberry.ID(f.site_id),
            rule=f.rule,
            state=f.state,
            summary=f.summary,
            url=f.url,
            column=f.column,
            stored_evidence=f.evidence,
            first_seen=f.first_seen,
            last_seen=f.last_seen,
            closed_at=f.closed_at,
        )


@strawberry.type(description="One page of findings")
class FindingPage:
    items: list[Finding]
    total: int
    page: int
    page_size: int


@strawberry.type(description="Documents of one kind")
class KindCount:
    kind: str
    count: int


@strawberry.type(description="A column of a site with its type and last update")
class ColumnInventory:
    name: str
    type: str = strawberry.field(description="news, notice, policy, interpretation, service, interaction, …")
    type_override: str | None = strawberry.field(description="The type an admin set, if any")
    items: int
    last_published: date | None
    updates_last_30_days: int


@strawberry.type(description="What a site holds and how lively it is")
class SiteInventory:
    site_id: strawberry.ID
    site_name: str
    level: str
    department: str | None
    documents: int
    by_kind: list[KindCount]
    columns: list[ColumnInventory]
    last_published: date | None
    updates_last_30_days: int
    open_findings: int

    @classmethod
    def of(cls, i: InventoryRecord) -> SiteInventory:
        return cls(
            site_id=strawberry.ID(i.site_id),
            site_name=i.site_name,
            level=i.level,
            department=i.department,
            documents=i.documents,
            by_kind=[KindCount(kind=k, count=n) for k, n in i.by_kind.items()],
            columns=[
                ColumnInventory(
                    name=c.name,
                    type=c.type,
                    type_override=c.type_override,
                    items=c.items,
                    last_published=c.last_published,
                    updates_last_30_days=c.updates_last_30_days,
                )
                for c in i.columns
            ],
            last_published=i.last_published,
            updates_last_30_days=i.updates_last_30_days,
            open_findings=i.open_findings,
        )


@strawberry.type(description="One page of sites' inventories, in site id order")
class SiteInventoryPage:
    items: list[SiteInventory]
    total: int = strawberry.field(description="Sites compared in all (of the level, when one is given)")
    page: int
    page_size: int


@strawberry.type(description="Documents published in the week starting on Monday `week`")
class WeekCount:
    week: date
    count: int

    @classmethod
    def of(cls, w: WeekCountRecord) -> WeekCount:
        return cls(week=w.week, count=w.count)


@strawberry.type(description="A finding opened or closed, delivered live")
class Alert:
    finding_id: strawberry.ID
    site_id: strawberry.ID
    rule: str
    state: str = strawberry.field(description="opened or closed")
    summary: str
    at: str

    @classmethod
    def of(cls, e: AlertRaised) -> Alert:
        return cls(
            finding_id=strawberry.ID(e.finding_id),
            site_id=strawberry.ID(e.site_id),
            rule=e.rule,
            state=e.state,
            summary=e.summary,
            at=e.at,
        )


@strawberry.type(description="A configurable threshold of a rule")
class Threshold:
    rule: str
    name: str
    value: float
    default: float

    @classmethod
    def of(cls, t: ThresholdRecord) -> Threshold:
        return cls(rule=t.rule, name=t.name, value=t.value, default=t.default)


@strawberry.type(description="A wrong form of a political term or leader's name and its right form")
class WrongExpression:
    wrong: str
    right: str
    category: str = strawberry.field(description="term, leader or other")

    @classmethod
    def of(cls, w: WrongExpressionRecord) -> WrongExpression:
        return cls(wrong=w.wrong, right=w.right, category=w.category)


@strawberry.type(description="A column's type as now in effect")
class ColumnType:
    site_id: strawberry.ID
    column: str
    type: str


@strawberry.type(description="A monitoring job queued: the new one, or the one of the site already in flight")
class JobQueued:
    site_id: strawberry.ID
    job: str
    message_id: str
    state: str = strawberry.field(description="enqueued (waiting for a worker) or running")
    enqueued_at: datetime

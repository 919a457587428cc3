"""Monitoring over GraphQL: inventory, update trends, inspections, live alerts and the admin's settings."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from core import monitoring
from core.bus import AlertRaised, subject_for_site
from core.errors import Invalid, NotFound
from core.jobs import INSPECT_SITE
from core.monitoring.clock import Clock, system_clock
from core.monitoring.schedule import enqueue
from core.monitoring.thresholds import rule as find_rule
from core.sites import get_site
from core.sites.config import LEVELS, SITE_ID
from schema.context import Context
from schema.monitoring_types import (
    Alert,
    ColumnType,
    ColumnTypeResult,
    FindingPage,
    FindingState,
    JobQueued,
    MonitoringInputError,
    Scorecard,
    SiteInventory,
    Threshold,
    ThresholdResult,
    WeekCount,
    WrongExpression,
    WrongExpressionResult,
)
from schema.monitoring_types import Finding as FindingType
from schema.pagination import check_page
from schema.permissions import ADMIN

Info = strawberry.Info[Context, None]


def _site_id(value: object) -> str:
    text = str(value)
    if not SITE_ID.match(text):
        raise Invalid(f"{text!r} is not a site id (lower-case letters, digits and dashes)")
    return text


def _now(info: Info) -> datetime:
    """The API's clock (an injectable `clock` in the services' extras, else the system clock)."""
    clock: Clock = info.context.services.extras.get("clock", system_clock)
    return clock()


@strawberry.type(description="A site's scorecard and its findings")
class Inspection:
    site_id: strawberry.ID
    scorecard: Scorecard | None = strawberry.field(description="The latest inspection (null before the first)")

    @strawberry.field(description="Findings of the site, open ones by default")
    async def findings(
        self, info: Info, state: FindingState | None = FindingState.OPEN, rule: str | None = None, page: int = 1,
        page_size: int = 50,
    ) -> FindingPage:  # fmt: skip
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        if rule is not None:
            find_rule(rule)
        items, total = await monitoring.list_findings(
            info.context.pool, site_id=str(self.site_id), state=state.value if state else None, rule=rule,
            offset=offset, limit=limit,
        )  # fmt: skip
        return FindingPage(items=[FindingType.of(f) for f in items], total=total, page=page, page_size=page_size)


@strawberry.type
class MonitoringQuery:
    @strawberry.field(description="What a site holds: documents by kind, columns and their last update")
    async def inventory(self, info: Info, site: strawberry.ID) -> SiteInventory:
        return SiteInventory.of(await monitoring.site_inventory(info.context.pool, _site_id(site), _now(info)))

    @strawberry.field(description="Every site's inventory side by side (departments, counties), optionally one level")
    async def inventory_comparison(self, info: Info, level: str | None = None) -> list[SiteInventory]:
        if level is not None and level not in LEVELS:
            raise Invalid(f"level must be one of {'/'.join(LEVELS)}")
        found = await monitoring.compare_sites(info.context.pool, _now(info), level=level)
        return [SiteInventory.of(i) for i in found]

    @strawberry.field(description="Documents published per week, oldest week first (at most 104 weeks)")
    async def update_trend(self, info: Info, site: strawberry.ID, weeks: int = 12) -> list[WeekCount]:
        trend = await monitoring.update_trend(info.context.pool, _site_id(site), weeks, _now(info))
        return [WeekCount.of(w) for w in trend]

    @strawberry.field(description="The site's latest scorecard and its findings")
    async def inspection(self, info: Info, site: strawberry.ID) -> Inspection:
        await get_site(info.context.pool, _site_id(site))
        card = await monitoring.latest_scorecard(info.context.pool, str(site))
        return Inspection(site_id=strawberry.ID(str(site)), scorecard=Scorecard.of(card) if card else None)

    @strawberry.field(description="Every rule's thresholds: current value and the national default")
    async def monitoring_thresholds(self, info: Info) -> list[Threshold]:
        return [Threshold.of(t) for t in await monitoring.list_thresholds(info.context.pool)]

    @strawberry.field(description="The list of serious wrong expressions checked on every page")
    async def wrong_expressions(self, info: Info) -> list[WrongExpression]:
        return [WrongExpression.of(w) for w in await monitoring.list_wrong_expressions(info.context.pool)]


@strawberry.type
class MonitoringMutation:
    @strawberry.mutation(
        permission_classes=ADMIN, description="Inspect the site now (queues a job; alerts follow on the subscription)"
    )
    async def run_inspection(self, info: Info, site: strawberry.ID) -> JobQueued:
        pool = info.context.pool
        await get_site(pool, _site_id(site))
        broker = info.context.services.extras["broker"]
        message_id = await enqueue(pool, broker, INSPECT_SITE, str(site), _now(info))
        return JobQueued(site_id=strawberry.ID(str(site)), job=INSPECT_SITE[0], message_id=message_id)

    @strawberry.mutation(
        permission_classes=ADMIN, description="Set a rule's threshold; a null value restores the default"
    )
    async def set_threshold(self, info: Info, rule: str, name: str, value: float | None) -> ThresholdResult:
        try:
            t = await monitoring.set_threshold(info.context.pool, rule_name=rule, name=name, value=value)
        except Invalid as exc:
            return MonitoringInputError(message=exc.message)
        return Threshold.of(t)

    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Set a column's type (news, notice, policy, …); a null type clears the override",
    )
    async def set_column_type(
        self, info: Info, site: strawberry.ID, column: str, type: str | None
    ) -> ColumnTypeResult:  # fmt: skip
        try:
            effective = await monitoring.set_column_type(
                info.context.pool, site_id=_site_id(site), column=column, column_type=type
            )
        except (Invalid, NotFound) as exc:
            return MonitoringInputError(message=exc.message)
        return ColumnType(site_id=strawberry.ID(str(site)), column=column, type=effective)

    @strawberry.mutation(permission_classes=ADMIN, description="Add or change a wrong expression and its right form")
    async def put_wrong_expression(
        self, info: Info, wrong: str, right: str, category: str = "term"
    ) -> WrongExpressionResult:  # fmt: skip
        try:
            w = await monitoring.put_wrong_expression(info.context.pool, wrong=wrong, right=right, category=category)
        except Invalid as exc:
            return MonitoringInputError(message=exc.message)
        return WrongExpression.of(w)

    @strawberry.mutation(
        permission_classes=ADMIN, description="Remove a wrong expression from the list; false when it was not listed"
    )
    async def delete_wrong_expression(self, info: Info, wrong: str) -> bool:
        return await monitoring.delete_wrong_expression(info.context.pool, wrong)


@strawberry.type
class MonitoringSubscription:
    @strawberry.subscription(description="Findings opened and closed, live; all sites when none given")
    async def alerts(self, info: Info, site: strawberry.ID | None = None) -> AsyncGenerator[Alert]:
        subject = subject_for_site(AlertRaised, _site_id(site) if site else None)
        async for event in info.context.services.bus.live(AlertRaised, subject):
            yield Alert.of(event)

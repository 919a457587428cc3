"""Monitoring over GraphQL: inventory, update trends, inspections, live alerts and the admin's settings."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from core import monitoring
from core.bus import AlertRaised, subject_for_site
from core.errors import Invalid
from core.jobs import INSPECT_SITE
from core.monitoring.job_runs import request_job
from core.monitoring.thresholds import rule as find_rule
from core.sites import get_site, known_site
from core.sites.config import LEVELS
from core.sites.ids import check_site_id
from schema.context import Context
from schema.monitoring_types import (
    Alert,
    ColumnType,
    FindingPage,
    FindingState,
    JobQueued,
    Scorecard,
    SiteInventory,
    SiteInventoryPage,
    Threshold,
    WeekCount,
    WrongExpression,
)
from schema.monitoring_types import Finding as FindingType
from schema.pagination import check_page
from schema.permissions import ADMIN, SITE_EDITOR

Info = strawberry.Info[Context, None]


@strawberry.type(description="A site's scorecard and its findings")
class Inspection:
    site_id: strawberry.ID
    scorecard: Scorecard | None = strawberry.field(description="The latest inspection (null before the first)")

    @strawberry.field(description="Findings of the site, open ones by default")
    async def findings(
        self,
        info: Info,
        state: FindingState | None = FindingState.OPEN,
        rule: str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> FindingPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        if rule is not None:
            find_rule(rule)
        items, total = await monitoring.list_findings(
            info.context.pool,
            site_id=str(self.site_id),
            state=state.value if state else None,
            rule=rule,
            offset=offset,
            limit=limit,
        )
        return FindingPage(items=[FindingType.of(f) for f in items], total=total, page=page, page_size=page_size)


@strawberry.type
class MonitoringQuery:
    @strawberry.field(description="What a site holds: documents by kind, columns and their last update")
    async def inventory(self, info: Info, site: strawberry.ID) -> SiteInventory:
        return SiteInventory.of(
            await monitoring.site_inventory(info.context.pool, check_site_id(site), info.context.clock())
        )

    @strawberry.field(
        description="Every site's inventory side by side (departments, counties), optionally of one level, in site "
        "id order, a page at a time: pageSize from 1 to the MAX_PAGE_SIZE setting (100 unless changed); total "
        "counts every site compared, and only the page's sites are read"
    )
    async def inventory_comparison(
        self, info: Info, level: str | None = None, page: int = 1, page_size: int = 50
    ) -> SiteInventoryPage:
        if level is not None and level not in LEVELS:
            raise Invalid(f"level must be one of {'/'.join(LEVELS)}")
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        found = await info.context.app.inventory.compare(
            info.context.pool, info.context.clock(), level=level, offset=offset, limit=limit
        )
        items = [SiteInventory.of(i) for i in found.sites]
        return SiteInventoryPage(items=items, total=found.total, page=page, page_size=page_size)

    @strawberry.field(description="Documents published per week, oldest week first (at most 104 weeks)")
    async def update_trend(self, info: Info, site: strawberry.ID, weeks: int = 12) -> list[WeekCount]:
        trend = await monitoring.update_trend(info.context.pool, check_site_id(site), weeks, info.context.clock())
        return [WeekCount.of(w) for w in trend]

    @strawberry.field(description="The site's latest scorecard and its findings")
    async def inspection(self, info: Info, site: strawberry.ID) -> Inspection:
        await get_site(info.context.pool, check_site_id(site))
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
        permission_classes=SITE_EDITOR,
        description="Inspect the site now (queues a job that workers run ahead of the scheduled ones; alerts follow "
        "on the subscription). While an inspection of the site is queued, running or waiting for a retry, answers "
        "that job and queues none",
    )
    async def run_inspection(self, info: Info, site: strawberry.ID) -> JobQueued:
        pool, site_id = info.context.pool, check_site_id(site)
        await get_site(pool, site_id)
        run = await request_job(pool, info.context.broker, INSPECT_SITE, site_id, info.context.clock())
        return JobQueued(
            site_id=strawberry.ID(site_id),
            job=INSPECT_SITE[0],
            message_id=run.message_id,
            state=run.state,
            enqueued_at=run.enqueued_at,
        )

    @strawberry.mutation(
        permission_classes=ADMIN, description="Set a rule's threshold; a null value restores the default"
    )
    async def set_threshold(self, info: Info, rule: str, name: str, value: float | None) -> Threshold:
        t = await monitoring.set_threshold(info.context.pool, rule_name=rule, name=name, value=value)
        return Threshold.of(t)

    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description="Set a column's type (news, notice, policy, …); a null type clears the override",
    )
    async def set_column_type(self, info: Info, site: strawberry.ID, column: str, type: str | None) -> ColumnType:
        pool = info.context.pool
        site_id = await known_site(pool, site)  # a typo in the site is told as such, not as a missing column
        effective = await monitoring.set_column_type(pool, site_id=site_id, column=column, column_type=type)
        return ColumnType(site_id=strawberry.ID(str(site)), column=column, type=effective)

    @strawberry.mutation(permission_classes=ADMIN, description="Add or change a wrong expression and its right form")
    async def put_wrong_expression(self, info: Info, wrong: str, right: str, category: str = "term") -> WrongExpression:
        w = await monitoring.put_wrong_expression(info.context.pool, wrong=wrong, right=right, category=category)
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
        # a typo is NOT_FOUND and an empty id BAD_INPUT, never "every site"
        known = await known_site(info.context.pool, site) if site is not None else None
        subject = subject_for_site(AlertRaised, known)
        async for event in info.context.bus.live(AlertRaised, subject):
            yield Alert.of(event)

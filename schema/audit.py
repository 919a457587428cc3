"""The audit trail in GraphQL: `auditTrail(filters, page, pageSize)`, for the web office only."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from core import audit
from schema.pagination import check_page
from schema.permissions import ADMIN


@strawberry.type(description="One guarded call: who, what, when, from where, and whether it was allowed")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str = strawberry.field(description="user, break-glass (the ADMIN_TOKEN) or anonymous")
    user_id: strawberry.ID | None
    username: str = strawberry.field(description="As it was at the time; empty when anonymous")
    operation: str = strawberry.field(description="The GraphQL field called, e.g. crawlSite")
    operation_type: str = strawberry.field(description="mutation or query")
    arguments: JSON = strawberry.field(description="The arguments sent, secrets redacted and long texts cut")
    site_id: strawberry.ID | None
    role_needed: str
    outcome: str = strawberry.field(description="allowed or refused")
    reason: str = strawberry.field(description="Why a call was refused")
    client: str = strawberry.field(description="The client address as the API settled it (proxies considered)")
    request_id: str | None

    @classmethod
    def of(cls, e: audit.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(e.id)),
            at=e.at,
            actor=e.actor,
            user_id=strawberry.ID(str(e.user_id)) if e.user_id else None,
            username=e.username,
            operation=e.operation,
            operation_type=e.operation_type,
            arguments=e.arguments,  # type: ignore[arg-type]  # a JSON object
            site_id=strawberry.ID(e.site_id) if e.site_id else None,
            role_needed=e.role_needed,
            outcome=e.outcome,
            reason=e.reason,
            client=e.client,
            request_id=e.request_id,
        )


@strawberry.type(description="A page of the audit trail, newest first")
class AuditPage:
    items: list[AuditEntry]
    total: int
    page: int
    page_size: int


@strawberry.input(description="Narrow the audit trail; every filter given must hold")
class AuditFilters:
    username: str | None = None
    operation: str | None = None
    outcome: str | None = strawberry.field(default=None, description="allowed or refused")
    site: strawberry.ID | None = None
    actor: str | None = strawberry.field(default=None, description="user, break-glass or anonymous")
    since: datetime | None = strawberry.field(default=None, description="From this time on (inclusive)")
    until: datetime | None = strawberry.field(default=None, description="Before this time")

    def to_core(self) -> audit.AuditFilters:
        return audit.AuditFilters(
            username=self.username,
            operation=self.operation,
            outcome=self.outcome,  # type: ignore[arg-type]  # checked by core.audit.list_entries
            site_id=str(self.site) if self.site is not None else None,
            actor=self.actor,  # type: ignore[arg-type]  # checked by core.audit.list_entries
            since=self.since,
            until=self.until,
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(permission_classes=ADMIN, description="Every guarded call, allowed or refused, newest first")
    async def audit_trail(
        self, info: Info, filters: AuditFilters | None = None, page: int = 1, page_size: int = 50
    ) -> AuditPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        found = await audit.list_entries(
            pool=info.context.pool,
            filters=filters.to_core() if filters else audit.AuditFilters(),
            offset=offset,
            limit=limit,
        )
        return AuditPage(
            items=[AuditEntry.of(e) for e in found.items], total=found.total, page=page, page_size=page_size
        )

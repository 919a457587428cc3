"""GraphQL types of disclosure for residents: subscriptions, notifications, a unit's services and hotlines."""

from __future__ import annotations

from datetime import datetime

import strawberry

from core.disclosure import notices
from core.disclosure.models import Notice, Service, Subscription
from core.identity.principal import Principal
from schema.context import Context
from schema.pagination import check_page

Info = strawberry.Info[Context, None]


@strawberry.type(description="A resident's subscription to a unit (and everything below it), all boards or one")
class DisclosureSubscriptionEntry:
    unit: str
    unit_name: str
    board: str | None = strawberry.field(description="null: every board")
    created_at: datetime

    @classmethod
    def of(cls, s: Subscription) -> DisclosureSubscriptionEntry:
        return cls(unit=s.unit_code, unit_name=s.unit_name, board=s.board or None, created_at=s.created_at)


@strawberry.type(description="A new or revised disclosure item of a unit the resident subscribed to")
class DisclosureNotification:
    id: strawberry.ID
    item: strawberry.ID
    revision: int
    change: str = strawberry.field(description="published or revised")
    unit: str
    board: str
    category: str
    title: str
    created_at: datetime
    delivered_at: datetime | None = strawberry.field(description="When the Notifier took it (null: pending)")
    channel: str | None

    @classmethod
    def of(cls, n: Notice) -> DisclosureNotification:
        return cls(
            id=strawberry.ID(str(n.id)),
            item=strawberry.ID(str(n.item_id)),
            revision=n.revision,
            change=n.change,
            unit=n.unit_code,
            board=n.board,
            category=n.category,
            title=n.title,
            created_at=n.created_at,
            delivered_at=n.delivered_at,
            channel=n.channel,
        )


@strawberry.type
class DisclosureNotificationPage:
    items: list[DisclosureNotification]
    total: int
    page: int
    page_size: int


@strawberry.type(description="A service of a unit's directory (便民服务) or one of its hotlines")
class UnitService:
    id: strawberry.ID
    unit: str
    kind: str = strawberry.field(description="服务 or 热线")
    name: str
    category: str
    hours: str
    phone: str
    address: str
    note: str
    updated_at: datetime

    @classmethod
    def of(cls, s: Service) -> UnitService:
        values = {k: v for k, v in vars(s).items() if k not in ("id", "unit_code")}
        return cls(id=strawberry.ID(str(s.id)), unit=s.unit_code, **values)


@strawberry.type(description="A mailbox of a unit (书记信箱 / 主任信箱): letters to it go to the unit's site")
class UnitMailbox:
    name: str
    department: str = strawberry.field(description="The department the letters carry (its repliers answer them)")


async def notification_page(info: Info, principal: Principal, page: int, page_size: int) -> DisclosureNotificationPage:
    offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
    assert principal.user_id is not None  # the caller checked it names a person
    found = await notices.notices(pool=info.context.pool, user_id=principal.user_id, offset=offset, limit=limit)
    items = [DisclosureNotification.of(n) for n in found.items]
    return DisclosureNotificationPage(items=items, total=found.total, page=page, page_size=page_size)


async def subscription_list(info: Info, principal: Principal) -> list[DisclosureSubscriptionEntry]:
    assert principal.user_id is not None
    found = await notices.subscriptions(pool=info.context.pool, user_id=principal.user_id)
    return [DisclosureSubscriptionEntry.of(s) for s in found]

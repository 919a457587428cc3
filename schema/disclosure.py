"""Grassroots disclosure over GraphQL: `units`, `unit(code)`, `disclosureItems`, `fundProject`, the mutations of
unit editors, the admin import, and `disclosureUpdates(unit)` live from NATS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from core import disclosure as dx
from core.disclosure import directory
from core.disclosure.boards import BOARDS
from core.disclosure.freshness import Freshness, stale_villages, unit_freshness
from core.disclosure.hierarchy import check_code, site_id_of
from core.errors import NotFound
from schema.context import Context
from schema.disclosure_resident_types import UnitMailbox, UnitService
from schema.disclosure_types import (
    Board,
    CategoryCount,
    DisclosureItem,
    FundPage,
    FundProject,
    ItemPage,
    Rollup,
    dx_uuid,
)
from schema.pagination import check_page
from schema.permissions import Need, RoleCheck

Info = strawberry.Info[Context, None]


class IsUnitEditor(RoleCheck):
    """An editor of the site of the unit the call names in its `unit` argument (or an admin)."""

    role = "editor"

    def need(self, arguments: dict[str, Any]) -> Need:
        return Need(role="editor", site_id=site_id_of(str(arguments.get("unit", "")).strip()))


UNIT_EDITOR: Any = [IsUnitEditor]


@strawberry.type(description="How fresh one category of a unit is, by its freshness rule (DISCLOSURE_FRESHNESS_DAYS)")
class CategoryFreshness:
    unit: str
    unit_name: str
    category: str
    max_days: int = strawberry.field(description="Days the category may go without a new item")
    last_published: datetime | None
    days_since: int | None = strawberry.field(description="Days since the last item; null when none yet")
    stale: bool

    @classmethod
    def of(cls, f: Freshness) -> CategoryFreshness:
        return cls(
            unit=f.unit_code,
            unit_name=f.unit_name,
            category=f.category,
            max_days=f.max_days,
            last_published=f.last_published,
            days_since=f.days_since,
            stale=f.stale,
        )


@strawberry.type
class FreshnessPage:
    items: list[CategoryFreshness]
    total: int
    page: int
    page_size: int


@strawberry.type
class UnitPage:
    items: list[DisclosureUnit]
    total: int
    page: int
    page_size: int


@strawberry.type(description="A unit of the four-level hierarchy (市 / 区县 / 乡镇街道 / 村社区): a site of its level")
class DisclosureUnit:
    code: str = strawberry.field(description="12-digit 统计用区划代码")
    name: str
    level: str
    site: strawberry.ID = strawberry.field(description="The site the unit is (its editors edit the unit)")
    parent_code: str | None

    @classmethod
    def of(cls, u: dx.Unit) -> DisclosureUnit:
        return cls(code=u.code, name=u.name, level=u.level, site=strawberry.ID(u.site_id), parent_code=u.parent_code)

    @strawberry.field
    async def parent(self, info: Info) -> DisclosureUnit | None:
        if self.parent_code is None:
            return None
        return DisclosureUnit.of(await dx.get_unit(pool=info.context.pool, code=self.parent_code))

    @strawberry.field(description="The units directly below, in code order")
    async def children(self, info: Info, page: int = 1, page_size: int = 50) -> UnitPage:
        return await _unit_page(info, self.code, page, page_size)

    @strawberry.field(description="The six boards and their categories, with the items of each here and below")
    async def boards(self, info: Info) -> list[Board]:
        rows = await dx.get_rollup(pool=info.context.pool, code=self.code)
        return [
            Board(
                name=b,
                categories=[
                    CategoryCount(board=b, category=c, count=rows[m].count if (m := f"items:{b}/{c}") in rows else 0)
                    for c in cs
                ],
            )
            for b, cs in BOARDS.items()
        ]

    @strawberry.field(description="Published items of the unit (with below: of the units under it too)")
    async def items(
        self,
        info: Info,
        category: str | None = None,
        period: str | None = None,
        below: bool = False,
        page: int = 1,
        page_size: int = 20,
    ) -> ItemPage:
        return await _item_page(info, self.code, below, category, period, page, page_size)

    @strawberry.field(description="Fund projects of the villages under the unit (or of the village)")
    async def funds(self, info: Info, stage: str | None = None, page: int = 1, page_size: int = 20) -> FundPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        found = await dx.list_funds(pool=info.context.pool, unit=self.code, stage=stage, offset=offset, limit=limit)
        return FundPage(
            items=[FundProject.of(f) for f in found.items], total=found.total, page=page, page_size=page_size
        )

    @strawberry.field(description="Each freshness rule's category of the unit: when it last published, and if stale")
    async def freshness(self, info: Info) -> list[CategoryFreshness]:
        c = info.context
        found = await unit_freshness(pool=c.pool, settings=c.settings, code=self.code, name=self.name, now=c.clock())
        return [CategoryFreshness.of(f) for f in found]

    @strawberry.field(description="便民服务: the unit's service directory (hours, phone, address), by category")
    async def services(self, info: Info) -> list[UnitService]:
        found = await directory.list_services(pool=info.context.pool, unit=self.code, kind="服务")
        return [UnitService.of(s) for s in found]

    @strawberry.field(description="The unit's hotlines")
    async def hotlines(self, info: Info) -> list[UnitService]:
        found = await directory.list_services(pool=info.context.pool, unit=self.code, kind="热线")
        return [UnitService.of(s) for s in found]

    @strawberry.field(description="The unit's mailboxes; a signed-in resident writes with writeUnitMailbox")
    def mailboxes(self) -> list[UnitMailbox]:
        return [UnitMailbox(name=m, department=directory.mailbox_department(self.code, m)) for m in directory.MAILBOXES]

    @strawberry.field(description="Counts and amounts of the unit and everything below it (kept current)")
    async def rollup(self, info: Info) -> Rollup:
        return Rollup.of(await dx.get_rollup(pool=info.context.pool, code=self.code))


async def _unit_page(info: Info, parent: str | None, page: int, page_size: int) -> UnitPage:
    offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
    found, total = await dx.list_children(pool=info.context.pool, parent=parent, offset=offset, limit=limit)
    return UnitPage(items=[DisclosureUnit.of(u) for u in found], total=total, page=page, page_size=page_size)


async def _item_page(
    info: Info, unit: str, below: bool, category: str | None, period: str | None, page: int, page_size: int
) -> ItemPage:
    offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
    found = await dx.list_items(
        pool=info.context.pool, unit=unit, below=below, category=category, period=period, offset=offset, limit=limit
    )
    return ItemPage(
        items=[DisclosureItem.of(x) for x in found.items], total=found.total, page=page, page_size=page_size
    )


@strawberry.input(description="Which items: of a unit (and below it), of a category, inside a period")
class DisclosureItemFilters:
    unit: str
    below: bool = True
    category: str | None = None
    period: str | None = None


@strawberry.type
class DisclosureQuery:
    @strawberry.field(description="The units directly below `parent`; without it, the top level (市)")
    async def units(self, info: Info, parent: str | None = None, page: int = 1, page_size: int = 50) -> UnitPage:
        return await _unit_page(info, check_code(parent) if parent else None, page, page_size)

    @strawberry.field(description="A unit by its 12-digit code: its page, boards, items, funds and roll-up")
    async def unit(self, info: Info, code: str) -> DisclosureUnit:
        return DisclosureUnit.of(await dx.get_unit(pool=info.context.pool, code=code))

    @strawberry.field(description="Published items by unit (below it by default), category and period")
    async def disclosure_items(
        self, info: Info, filters: DisclosureItemFilters, page: int = 1, page_size: int = 20
    ) -> ItemPage:
        f = filters
        return await _item_page(info, f.unit, f.below, f.category, f.period, page, page_size)

    @strawberry.field(description="Freshness findings: villages under the unit past a rule's days, in code order")
    async def stale_disclosures(self, info: Info, unit: str, page: int = 1, page_size: int = 20) -> FreshnessPage:
        c = info.context
        offset, limit = check_page(page, page_size, c.settings.max_page_size)
        found, total = await stale_villages(
            pool=c.pool, settings=c.settings, under=unit, now=c.clock(), offset=offset, limit=limit
        )
        return FreshnessPage(
            items=[CategoryFreshness.of(f) for f in found], total=total, page=page, page_size=page_size
        )

    @strawberry.field(description="A published item by id, with its revisions")
    async def disclosure_item(self, info: Info, id: strawberry.ID) -> DisclosureItem:
        item = await dx.get_item(pool=info.context.pool, item_id=dx_uuid(str(id)))
        if not item.counted:
            raise NotFound(f"no published item with id {id}")
        return DisclosureItem.of(item)

    @strawberry.field(description="A fund project with its stages and spending (and their vouchers)")
    async def fund_project(self, info: Info, id: strawberry.ID) -> FundProject:
        return FundProject.of(await dx.get_fund(pool=info.context.pool, fund_id=dx_uuid(str(id))))

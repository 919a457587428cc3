"""Disclosure for residents over GraphQL: subscribing to a unit or board (notifications in `me`), writing to a
unit's mailbox, complaining about an item (routed to the unit above), and the editors' service directory."""

from __future__ import annotations

import strawberry

from core import letters
from core.disclosure import directory, notices
from core.disclosure.hierarchy import check_code
from schema.context import Context
from schema.disclosure import UNIT_EDITOR, DisclosureUnit
from schema.disclosure_resident_types import DisclosureSubscriptionEntry, UnitService
from schema.disclosure_types import dx_uuid
from schema.userspace_types import Letter, user_id_of

Info = strawberry.Info[Context, None]


@strawberry.input(description="A service (服务) or hotline (热线) of a unit")
class UnitServiceInput:
    kind: str = strawberry.field(description="服务 or 热线")
    name: str
    category: str = ""
    hours: str = strawberry.field(default="", description="e.g. 工作日 9:00-12:00 13:30-17:30")
    phone: str = ""
    address: str = ""
    note: str = ""


@strawberry.type(description="A complaint about a disclosure item, as a letter to the unit above the item's unit")
class DisclosureComplaint:
    letter: Letter
    routed_to: DisclosureUnit = strawberry.field(description="The unit that supervises the item's unit")


async def _letter(
    info: Info, site: str, department: str, kind: str, subject: str, body: str, consent: bool
) -> letters.Letter:
    c = info.context
    principal = await c.signed_in()
    draft = letters.Draft(
        site_id=site, kind=kind, department=department, subject=subject, body=body, consent_to_publish=consent
    )
    return await letters.submit_letter(
        pool=c.pool, bus=c.bus, settings=c.settings, principal=principal, draft=draft, now=c.clock()
    )


@strawberry.type
class DisclosureResidentMutation:
    @strawberry.mutation(description="Be notified of new and revised items of a unit and below it (board: only it)")
    async def subscribe_disclosure(
        self, info: Info, unit: str, board: str | None = None
    ) -> DisclosureSubscriptionEntry:
        user_id = user_id_of(await info.context.signed_in())
        found = await notices.subscribe(pool=info.context.pool, user_id=user_id, unit=unit, board=board)
        return DisclosureSubscriptionEntry.of(found)

    @strawberry.mutation(description="End a subscription; false if there was none")
    async def unsubscribe_disclosure(self, info: Info, unit: str, board: str | None = None) -> bool:
        user_id = user_id_of(await info.context.signed_in())
        return await notices.unsubscribe(pool=info.context.pool, user_id=user_id, unit=unit, board=board)

    @strawberry.mutation(
        description="Write to a unit's mailbox (书记信箱 / 主任信箱): a letter (咨询 / 投诉 / 建议) to the unit's site"
    )
    async def write_unit_mailbox(
        self,
        info: Info,
        unit: str,
        mailbox: str,
        kind: str,
        subject: str,
        body: str,
        consent_to_publish: bool = False,
    ) -> Letter:
        await info.context.signed_in()  # who writes comes first: an anonymous caller learns nothing of the units
        site, department = await directory.mailbox_route(pool=info.context.pool, unit=unit, mailbox=mailbox)
        return Letter.of(await _letter(info, site, department, kind, subject, body, consent_to_publish))

    @strawberry.mutation(description="Complain about a published item: a 投诉 letter to the unit above its unit")
    async def complain_disclosure_item(
        self, info: Info, id: strawberry.ID, subject: str, body: str
    ) -> DisclosureComplaint:
        await info.context.signed_in()
        item, above = await directory.complaint_route(pool=info.context.pool, item_id=dx_uuid(str(id)))
        target = f"{item.unit_code} {item.board}/{item.category}「{item.title}」，编号 {item.id}"
        about = f"{body.strip()}\n\n（投诉对象：{target}）"
        department = directory.complaint_department(above)
        found = await _letter(info, above.site_id, department, "投诉", subject, about, False)
        return DisclosureComplaint(letter=Letter.of(found), routed_to=DisclosureUnit.of(above))

    @strawberry.mutation(
        description="Add or change a service or hotline of the unit (by kind and name)", permission_classes=UNIT_EDITOR
    )
    async def save_unit_service(self, info: Info, unit: str, service: UnitServiceInput) -> UnitService:
        draft = directory.ServiceDraft(unit_code=unit, **vars(service))
        return UnitService.of(await directory.save_service(pool=info.context.pool, draft=draft))

    @strawberry.mutation(description="Remove a service or hotline of the unit", permission_classes=UNIT_EDITOR)
    async def delete_unit_service(self, info: Info, unit: str, id: strawberry.ID) -> bool:
        await directory.delete_service(pool=info.context.pool, unit=check_code(unit), service_id=dx_uuid(str(id)))
        return True

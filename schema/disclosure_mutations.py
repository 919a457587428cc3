"""Mutations of unit editors (an editor of the unit's site, or an admin), the admin import, and the live
`disclosureUpdates(unit)` subscription straight from NATS."""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import AsyncGenerator
from datetime import date
from pathlib import Path
from uuid import UUID

import strawberry

from core import disclosure as dx
from core.bus import DisclosurePublished, disclosure_subject
from core.clock import local_date
from core.disclosure.fund_publication import announce_fund
from core.disclosure.hierarchy import ancestors, check_code
from core.disclosure.vouchers import blob_store, known_vouchers, upload_voucher
from core.errors import Invalid
from schema.context import Context
from schema.disclosure import UNIT_EDITOR
from schema.disclosure_types import DisclosureItem, FundProject, ImportResult, SpendingRecord, Voucher, dx_uuid
from schema.permissions import ADMIN, acting_username

Info = strawberry.Info[Context, None]
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # decoded; bigger files go through `yiwang disclosure import`
IMPORT_SUFFIXES = (".csv", ".xlsx")


def _bytes(content_base64: str, most: int, what: str) -> bytes:
    if len(content_base64) > most * 4 // 3 + 8:
        raise Invalid(f"the {what} is larger than {most:,} bytes")
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"the {what} is not valid base64") from None


async def _fund_page(info: Info, fund_id: UUID, deleted_from: str | None = None) -> None:
    """After commit: the project's page for search (with its spending totals), or its page gone."""
    c = info.context
    await announce_fund(
        pool=c.pool, bus=c.bus, fund_id=fund_id, base_url=c.settings.issuer, now=c.clock(), unit_code=deleted_from
    )


@strawberry.input(description="An item as its unit's editor writes it")
class DisclosureItemInput:
    category: str
    period: str = strawberry.field(description="2024-03, 2024Q1 or 2024")
    dated: date = strawberry.field(description="The day the matter is of: inside the period")
    title: str
    body: str = ""
    board: str | None = None
    vouchers: list[str] = strawberry.field(default_factory=list, description="SHA-256 of uploaded vouchers")
    external_id: str | None = None


@strawberry.input(description="A village special-fund project")
class FundProjectInput:
    name: str
    category: str
    source: str = strawberry.field(description="市, 区 or 镇")
    amount: str = strawberry.field(description="元, at most two decimals")
    year: int
    stage: str | None = strawberry.field(
        default=None,
        description="立项 when a new project leaves it out; a project changed keeps its stage unless given a later one "
        "(stages only move on)",
    )
    external_id: str | None = None


@strawberry.input(description="A payment of a fund project")
class SpendingInput:
    amount: str
    spent_on: date
    payee: str = ""
    note: str = ""
    vouchers: list[str] = strawberry.field(default_factory=list)
    external_id: str | None = None


async def _draft(info: Info, unit: str, x: DisclosureItemInput) -> dx.ItemDraft:
    refs = await known_vouchers(info.context.pool, x.vouchers)
    return dx.ItemDraft(
        unit_code=unit,
        category=x.category,
        period=x.period,
        dated=x.dated,
        title=x.title,
        body=x.body,
        board=x.board,
        attachments=refs,
        external_id=x.external_id,
    )


@strawberry.type
class DisclosureMutation:
    @strawberry.mutation(
        description="Upload a voucher (PDF, PNG or JPEG) for the unit's items or spending",
        permission_classes=UNIT_EDITOR,
    )
    async def upload_voucher(self, info: Info, unit: str, name: str, content_base64: str) -> Voucher:
        c = info.context
        most = c.settings.disclosure_max_voucher_bytes
        ref = await upload_voucher(
            pool=c.pool,
            blobs=blob_store(c.settings),
            data=_bytes(content_base64, most, "voucher"),
            name=name,
            max_bytes=most,
            by=await acting_username(info),
        )
        return Voucher.of(ref)

    @strawberry.mutation(
        description=(
            "Write an item of the unit; published at once unless publish is false. The content of an item not "
            "withdrawn again (a form sent twice) is CONFLICT naming it"
        ),
        permission_classes=UNIT_EDITOR,
    )
    async def create_disclosure_item(
        self, info: Info, unit: str, item: DisclosureItemInput, publish: bool = True
    ) -> DisclosureItem:
        c = info.context
        found = await dx.create_item(
            pool=c.pool,
            bus=c.bus,
            draft=await _draft(info, unit, item),
            publish=publish,
            by=await acting_username(info),
            now=c.clock(),
            base_url=c.settings.issuer,
        )
        return DisclosureItem.of(found)

    @strawberry.mutation(
        description="Change an item: a new revision, the old ones kept; a published item needs the reason (修改说明)",
        permission_classes=UNIT_EDITOR,
    )
    async def edit_disclosure_item(
        self, info: Info, unit: str, id: strawberry.ID, item: DisclosureItemInput, reason: str = ""
    ) -> DisclosureItem:
        c = info.context
        found = await dx.edit_item(
            pool=c.pool,
            bus=c.bus,
            item_id=dx_uuid(str(id)),
            draft=await _draft(info, unit, item),
            reason=reason,
            by=await acting_username(info),
            now=c.clock(),
            base_url=c.settings.issuer,
        )
        return DisclosureItem.of(found)

    @strawberry.mutation(
        description="Publish a draft (publish: true) or withdraw a published item (false)",
        permission_classes=UNIT_EDITOR,
    )
    async def publish_disclosure_item(
        self, info: Info, unit: str, id: strawberry.ID, publish: bool = True
    ) -> DisclosureItem:
        c = info.context
        found = await dx.set_published(
            pool=c.pool,
            bus=c.bus,
            item_id=dx_uuid(str(id)),
            publish=publish,
            now=c.clock(),
            unit_code=check_code(unit),
            base_url=c.settings.issuer,
        )
        return DisclosureItem.of(found)

    @strawberry.mutation(
        description="Create a fund project of the village (or change it, given its id)", permission_classes=UNIT_EDITOR
    )
    async def save_fund_project(
        self, info: Info, unit: str, project: FundProjectInput, id: strawberry.ID | None = None
    ) -> FundProject:
        c = info.context
        draft = dx.FundDraft(
            unit_code=unit,
            name=project.name,
            category=project.category,
            source=project.source,
            amount=project.amount,
            stage=project.stage,
            year=project.year,
            external_id=project.external_id,
        )
        found = await dx.save_fund(
            pool=c.pool, draft=draft, today=local_date(c.clock()), fund_id=dx_uuid(str(id)) if id else None
        )
        await _fund_page(info, found.id)
        return FundProject.of(found)

    @strawberry.mutation(
        description="Move a fund project on to a later stage, on a day (today when none given) neither before a stage "
        "it reached nor in the future",
        permission_classes=UNIT_EDITOR,
    )
    async def move_fund_stage(
        self, info: Info, unit: str, id: strawberry.ID, stage: str, on: date | None = None
    ) -> FundProject:
        c = info.context
        today = local_date(c.clock())
        found = await dx.move_stage(
            pool=c.pool, fund_id=dx_uuid(str(id)), stage=stage, on=on or today, unit_code=check_code(unit), today=today
        )
        await _fund_page(info, found.id)
        return FundProject.of(found)

    @strawberry.mutation(description="Remove a fund project entered by mistake", permission_classes=UNIT_EDITOR)
    async def delete_fund_project(self, info: Info, unit: str, id: strawberry.ID) -> bool:
        fund_id, code = dx_uuid(str(id)), check_code(unit)
        await dx.delete_fund(pool=info.context.pool, fund_id=fund_id, unit_code=code)
        await _fund_page(info, fund_id, code)
        return True

    @strawberry.mutation(description="Record a payment of a fund project", permission_classes=UNIT_EDITOR)
    async def add_fund_spending(
        self, info: Info, unit: str, id: strawberry.ID, spending: SpendingInput
    ) -> SpendingRecord:
        refs = await known_vouchers(info.context.pool, spending.vouchers)
        draft = dx.SpendingDraft(
            amount=spending.amount,
            spent_on=spending.spent_on,
            payee=spending.payee,
            note=spending.note,
            vouchers=refs,
            external_id=spending.external_id,
        )
        s = await dx.add_spending(
            pool=info.context.pool,
            fund_id=dx_uuid(str(id)),
            draft=draft,
            unit_code=check_code(unit),
            today=local_date(info.context.clock()),
        )
        info.context.fund_payments.clear_all()  # a project this request reads next shows the payment
        await _fund_page(info, s.fund_id)
        return SpendingRecord.of(s)

    @strawberry.mutation(
        description="Import a CSV or XLSX file (units, items, funds, spending or assets; "
        "docs/disclosure.md); unit: only rows of that unit and below",
        permission_classes=ADMIN,
    )
    async def import_disclosure(
        self, info: Info, file_name: str, content_base64: str, unit: str | None = None
    ) -> ImportResult:
        suffix = Path(file_name).suffix.lower()
        if suffix not in IMPORT_SUFFIXES:
            raise Invalid(f"fileName must end in .csv or .xlsx, not {file_name!r}")
        data = _bytes(content_base64, MAX_IMPORT_BYTES, "file")
        c = info.context
        with tempfile.TemporaryDirectory(prefix="yw-import-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            report = await dx.import_file(
                pool=c.pool,
                bus=c.bus,
                path=path,
                now=c.clock(),
                scope=unit,
                by=await acting_username(info),
                base_url=c.settings.issuer,
            )
        c.fund_payments.clear_all()  # spending rows it imported show on projects this request reads next
        return ImportResult.of(report)


@strawberry.type
class DisclosureSubscription:
    @strawberry.subscription(description="Items published, revised or withdrawn in the unit and every unit below it")
    async def disclosure_updates(self, info: Info, unit: str) -> AsyncGenerator[DisclosureItem]:
        code = (await dx.get_unit(pool=info.context.pool, code=unit)).code
        subject = disclosure_subject(ancestors(code))
        async for event in info.context.bus.live(DisclosurePublished, subject):
            item = await dx.get_item(pool=info.context.pool, item_id=dx_uuid(event.item_id))
            yield DisclosureItem.of(item)

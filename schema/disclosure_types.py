"""GraphQL types of grassroots disclosure: items and their revisions, vouchers, fund projects, roll-ups."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from core import disclosure as dx
from core.disclosure.boards import BOARDS
from core.disclosure.models import STAGES
from core.errors import Invalid
from schema.context import Context

Info = strawberry.Info[Context, None]
VOUCHER_PATH = "/disclosure/vouchers/"


@strawberry.type(description="A voucher (凭证): an image or PDF stored by the SHA-256 of its bytes")
class Voucher:
    sha256: str
    name: str
    media_type: str
    size: int
    url: str = strawberry.field(description="Where to download it (the API's /disclosure/vouchers/<sha256>)")

    @classmethod
    def of(cls, ref: dx.BlobRef) -> Voucher:
        return cls(
            sha256=ref.sha256,
            name=ref.name,
            media_type=ref.media_type,
            size=ref.size,
            url=f"{VOUCHER_PATH}{ref.sha256}",
        )


@strawberry.type(description="One revision of an item, as it was published or edited")
class ItemRevision:
    revision: int
    category: str
    period: str
    dated: date
    title: str
    body: str
    attachments: list[Voucher]
    reason: str = strawberry.field(description="Why a published item changed (修改说明)")
    edited_by: str
    edited_at: datetime


@strawberry.type(description="A disclosure item of a unit (its current revision)")
class DisclosureItem:
    id: strawberry.ID
    external_id: str | None
    unit: str = strawberry.field(description="The unit's 12-digit code")
    board: str
    category: str
    period: str = strawberry.field(description="2024-03, 2024Q1 or 2024")
    dated: date
    title: str
    body: str
    attachments: list[Voucher]
    revision: int
    status: str = strawberry.field(description="draft, published or withdrawn")
    published_at: datetime | None
    withdrawn_at: datetime | None
    updated_at: datetime

    @strawberry.field(description="Every revision, the newest first (a published item never changes silently)")
    async def revisions(self, info: Info) -> list[ItemRevision]:
        # Up to the revision shown above: one made since this item was read would head the list under it.
        found = await dx.item_revisions(pool=info.context.pool, item_id=dx_uuid(str(self.id)), up_to=self.revision)
        return [ItemRevision(**{**vars(r), "attachments": [Voucher.of(a) for a in r.attachments]}) for r in found]

    @classmethod
    def of(cls, x: dx.Item) -> DisclosureItem:
        status = "withdrawn" if x.withdrawn_at else "published" if x.published_at else "draft"
        return cls(
            id=strawberry.ID(str(x.id)),
            external_id=x.external_id,
            unit=x.unit_code,
            board=x.board,
            category=x.category,
            period=x.period,
            dated=x.dated,
            title=x.title,
            body=x.body,
            attachments=[Voucher.of(a) for a in x.attachments],
            revision=x.revision,
            status=status,
            published_at=x.published_at,
            withdrawn_at=x.withdrawn_at,
            updated_at=x.updated_at,
        )


def dx_uuid(value: str, what: str = "id") -> UUID:
    """An id argument as a UUID; BAD_INPUT naming the argument otherwise."""
    try:
        return UUID(value)
    except ValueError:
        raise Invalid(f"{what} {value!r} is not an id of this platform") from None


@strawberry.type
class ItemPage:
    items: list[DisclosureItem]
    total: int
    page: int
    page_size: int


@strawberry.type(description="A payment of a fund project, with its vouchers")
class SpendingRecord:
    id: strawberry.ID
    external_id: str | None
    amount: Decimal
    spent_on: date
    payee: str
    note: str
    vouchers: list[Voucher]

    @classmethod
    def of(cls, s: dx.Spending) -> SpendingRecord:
        return cls(
            id=strawberry.ID(str(s.id)),
            external_id=s.external_id,
            amount=s.amount,
            spent_on=s.spent_on,
            payee=s.payee,
            note=s.note,
            vouchers=[Voucher.of(v) for v in s.vouchers],
        )


@strawberry.type(description="A stage a fund project reached, and when")
class FundStage:
    stage: str
    entered_on: date


@strawberry.type(description="A village special-fund project (村级专项资金)")
class FundProject:
    id: strawberry.ID
    external_id: str | None
    unit: str
    name: str
    category: str
    source: str = strawberry.field(description="市, 区 or 镇")
    amount: Decimal
    stage: str = strawberry.field(description=" → ".join(STAGES))
    year: int
    stages: list[FundStage]
    _payments: strawberry.Private[Awaitable[dx.Payments] | None] = None

    @strawberry.field(description="What the project has spent: the sum of its spending")
    async def spent(self, info: Info) -> Decimal:
        return (await self.payments(info)).spent

    @strawberry.field(description="Payments, the earliest first")
    async def spending(self, info: Info) -> list[SpendingRecord]:
        return [SpendingRecord.of(s) for s in (await self.payments(info)).items]

    def payments(self, info: Info) -> Awaitable[dx.Payments]:
        """The total and the payments, loaded once for both fields (batched over a page's projects): read with the
        project's row instead, a payment recorded in between showed beside a total without it."""
        if self._payments is None:
            self._payments = info.context.fund_payments.load(UUID(str(self.id)))
        return self._payments

    @classmethod
    def of(cls, f: dx.Fund) -> FundProject:
        return cls(
            id=strawberry.ID(str(f.id)),
            external_id=f.external_id,
            unit=f.unit_code,
            name=f.name,
            category=f.category,
            source=f.source,
            amount=f.amount,
            stage=f.stage,
            year=f.year,
            stages=[FundStage(stage=s, entered_on=d) for s, d in f.stages],
        )


@strawberry.type
class FundPage:
    items: list[FundProject]
    total: int
    page: int
    page_size: int


@strawberry.type(description="Count, amount and spending of the fund projects of one stage, source or category")
class FundTotals:
    key: str
    count: int
    amount: Decimal
    spent: Decimal


@strawberry.type(description="How many items of a board's category")
class CategoryCount:
    board: str
    category: str
    count: int


@strawberry.type(description="A unit and everything below it, kept current with every change")
class Rollup:
    items: int
    items_by_category: list[CategoryCount]
    funds: FundTotals
    funds_by_stage: list[FundTotals]
    funds_by_source: list[FundTotals]
    funds_by_category: list[FundTotals]
    resources: int = strawberry.field(description="Collective resources (资源)")
    resource_area: Decimal = strawberry.field(description="Their area, 亩")
    assets: int = strawberry.field(description="Collective assets (资产)")
    asset_value: Decimal = strawberry.field(description="Their value, 元")

    @classmethod
    def of(cls, rows: dict[str, dx.RollupRow]) -> Rollup:
        def totals(metric: str, key: str) -> FundTotals:
            r = rows.get(metric)
            return FundTotals(
                key=key,
                count=r.count if r else 0,
                amount=r.amount if r else Decimal(0),
                spent=r.spent if r else Decimal(0),
            )

        def grouped(prefix: str) -> list[FundTotals]:
            return [totals(m, m.removeprefix(prefix)) for m in sorted(rows) if m.startswith(prefix)]

        by_category = [
            CategoryCount(board=b, category=c, count=rows[f"items:{b}/{c}"].count)
            for b, cs in BOARDS.items()
            for c in cs
            if f"items:{b}/{c}" in rows
        ]
        resources, assets = rows.get("assets:资源"), rows.get("assets:资产")
        return cls(
            items=rows["items"].count if "items" in rows else 0,
            items_by_category=by_category,
            funds=totals("funds", "all"),
            funds_by_stage=[totals(f"funds:stage:{s}", s) for s in STAGES],
            funds_by_source=grouped("funds:source:"),
            funds_by_category=grouped("funds:category:"),
            resources=resources.count if resources else 0,
            resource_area=resources.area if resources else Decimal(0),
            assets=assets.count if assets else 0,
            asset_value=assets.value if assets else Decimal(0),
        )


@strawberry.type(description="A board of a unit's page and its categories, with how many items each holds")
class Board:
    name: str
    categories: list[CategoryCount]


@strawberry.type(description="Why one row of an import was not imported")
class ImportRowError:
    line: int
    reason: str


@strawberry.type(description="What an import read, created, changed and refused")
class ImportResult:
    kind: str
    encoding: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportRowError]

    @classmethod
    def of(cls, r: dx.ImportReport) -> ImportResult:
        return cls(
            kind=r.kind,
            encoding=r.encoding,
            rows=r.rows,
            created=r.created,
            updated=r.updated,
            unchanged=r.unchanged,
            errors=[ImportRowError(line=e.line, reason=e.reason) for e in r.errors],
        )

"""Units, items and their revisions, fund projects, spending, resources and assets, as stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID

T = TypeVar("T")

STAGES: tuple[str, ...] = ("立项", "公示", "实施", "验收", "结算")
SOURCES: tuple[str, ...] = ("市", "区", "镇")
ASSET_KINDS: tuple[str, ...] = ("资源", "资产")


@dataclass(frozen=True, kw_only=True)
class Unit:
    """A unit of the hierarchy: one site of its level."""

    code: str
    name: str
    level: str
    parent_code: str | None
    site_id: str


@dataclass(frozen=True, kw_only=True)
class BlobRef:
    """A stored file (a voucher: an image or a PDF), named by the SHA-256 of its bytes."""

    sha256: str
    name: str
    media_type: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "name": self.name, "mediaType": self.media_type, "size": self.size}

    @classmethod
    def of(cls, raw: dict[str, Any]) -> BlobRef:
        return cls(sha256=raw["sha256"], name=raw["name"], media_type=raw["mediaType"], size=int(raw["size"]))


@dataclass(frozen=True, kw_only=True)
class Revision:
    """One revision of an item as it was published or edited."""

    revision: int
    category: str
    period: str
    dated: date
    title: str
    body: str
    attachments: list[BlobRef]
    reason: str
    edited_by: str
    edited_at: datetime


@dataclass(frozen=True, kw_only=True)
class Item:
    """A disclosure item of a unit: its current revision."""

    id: UUID
    external_id: str | None
    unit_code: str
    board: str
    category: str
    period: str
    dated: date
    title: str
    body: str
    attachments: list[BlobRef]
    revision: int
    published_at: datetime | None
    withdrawn_at: datetime | None
    updated_at: datetime

    @property
    def counted(self) -> bool:
        """Shown to the public and counted in roll-ups."""
        return self.published_at is not None and self.withdrawn_at is None


@dataclass(frozen=True, kw_only=True)
class Fund:
    """A village special-fund project (村级专项资金项目)."""

    id: UUID
    external_id: str | None
    unit_code: str
    name: str
    category: str
    source: str
    amount: Decimal
    spent: Decimal
    stage: str
    year: int
    stages: list[tuple[str, date]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Spending:
    """One payment of a fund project, with its vouchers."""

    id: UUID
    external_id: str | None
    fund_id: UUID
    amount: Decimal
    spent_on: date
    payee: str
    note: str
    vouchers: list[BlobRef]


@dataclass(frozen=True, kw_only=True)
class Payments:
    """What a fund project has spent and the payments that make it up, read together so that they agree."""

    spent: Decimal
    items: list[Spending] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Asset:
    """A collective resource (area, 亩) or asset (value, 元) of a village."""

    id: UUID
    external_id: str | None
    unit_code: str
    kind: str
    name: str
    category: str
    area: Decimal
    value: Decimal


@dataclass(frozen=True, kw_only=True)
class RollupRow:
    """What a unit and everything below it hold for one metric."""

    metric: str
    count: int
    amount: Decimal
    spent: Decimal
    area: Decimal
    value: Decimal


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    """One page of a list and how many there are in all."""

    items: list[T]
    total: int


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """A resident's subscription to a unit (and everything below it), to all its boards or one."""

    unit_code: str
    unit_name: str
    board: str  # '' all boards
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One notification of one subscriber about one revision of an item, and its delivery."""

    id: int
    user_id: UUID
    item_id: UUID
    revision: int
    change: str
    unit_code: str
    board: str
    category: str
    title: str
    created_at: datetime
    delivered_at: datetime | None
    channel: str | None
    attempts: int


@dataclass(frozen=True, kw_only=True)
class Service:
    """An entry of a unit's service directory (服务) or one of its hotlines (热线)."""

    id: UUID
    unit_code: str
    kind: str
    name: str
    category: str
    hours: str
    phone: str
    address: str
    note: str
    updated_at: datetime

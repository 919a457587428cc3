"""What a personal lookup returns: one account's housing fund, medical or pension record, and the reply to ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from core.identity.principal import AccountKind

RecordKind = Literal["housing_fund", "medical", "pension"]
KINDS: tuple[RecordKind, ...] = ("housing_fund", "medical", "pension")
KIND_NAMES: dict[RecordKind, str] = {"housing_fund": "住房公积金", "medical": "医疗保险", "pension": "养老保险（社保）"}
Aspect = Literal["balance", "years", "history", "overview"]
AnswerKind = Literal["personal", "need_sign_in", "unavailable"]


@dataclass(frozen=True, kw_only=True)
class Holder:
    """Whose record is asked for: the signed-in account, a person (个人) or a legal person (法人, 单位)."""

    user_id: UUID
    username: str
    name: str
    kind: AccountKind
    region_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordEntry:
    """One month of contributions: who paid what (单位 and 个人 parts), and whether it was paid."""

    period: str  # YYYY-MM
    amount: float  # yuan, both parts
    employer_part: float
    personal_part: float
    status: str  # 已缴 / 未缴


@dataclass(frozen=True, kw_only=True)
class PersonalRecord:
    """A record as the connector returned it; `demo` marks made-up data that describes no real account."""

    kind: RecordKind
    holder_kind: AccountKind
    region_code: str | None
    account_no: str
    status: str  # 正常缴存 / 正常参保 …
    balance: float | None  # yuan: the account balance (housing fund, medical); None for pensions
    monthly: float  # yuan, the last month's contribution (a legal person: for all its staff)
    months_paid: int  # months contributed in all (a legal person: months it has contributed as an employer)
    since: date
    insured_staff: int | None  # a legal person's staff covered; None for a person
    entries: tuple[RecordEntry, ...]  # the latest months, newest first
    as_of: date
    demo: bool = False

    @property
    def years_paid(self) -> float:
        return round(self.months_paid / 12, 1)


@dataclass(frozen=True, kw_only=True)
class PersonalAnswer:
    """The reply to a personal question: the answer from the record, "please sign in", or "try later"."""

    kind: AnswerKind
    text: str
    record_kind: RecordKind
    record: PersonalRecord | None = None
    login_url: str | None = None
    aspect: Aspect | None = None  # what was asked of the record (a follow-up such as 那医保呢 asks it again)

    @property
    def needs_sign_in(self) -> bool:
        return self.kind == "need_sign_in"

"""Personal lookups (一网通答): `myRecords(kind)`, the signed-in user's housing fund, medical or pension record."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from core.errors import Unauthenticated, Upstream
from core.lookups import models
from core.lookups.service import PersonalLookups
from schema.context import Context

Info = strawberry.Info[Context, None]


@strawberry.enum(description="Which record: 住房公积金, 医疗保险 (医保), 养老保险 (社保)")
class RecordKind(enum.Enum):
    HOUSING_FUND = "housing_fund"
    MEDICAL = "medical"
    PENSION = "pension"


@strawberry.type(description="One month of contributions")
class RecordEntry:
    period: str = strawberry.field(description="YYYY-MM")
    amount: float = strawberry.field(description="Yuan, both parts")
    employer_part: float
    personal_part: float
    status: str = strawberry.field(description="已缴 or 未缴")


@strawberry.type(description="A housing fund, medical or pension record of the signed-in person or legal person")
class PersonalRecord:
    kind: RecordKind
    holder_kind: str = strawberry.field(description="person (个人) or legal (法人: the unit's 单位缴存 / 单位参保)")
    region_code: str | None = strawberry.field(description="The account's division code (GB/T 2260), if given")
    account_no: str
    status: str
    balance: float | None = strawberry.field(description="Yuan; null for a pension record")
    monthly: float = strawberry.field(description="Yuan, the last month (a legal person: for all its staff)")
    months_paid: int
    years_paid: float
    since: date
    insured_staff: int | None = strawberry.field(description="A legal person's staff covered")
    entries: list[RecordEntry] = strawberry.field(description="The latest months, newest first (at most 12)")
    as_of: date
    demo: bool = strawberry.field(description="Made-up data of the demo connector, describing no real account")

    @classmethod
    def of(cls, r: models.PersonalRecord) -> PersonalRecord:
        return cls(
            kind=RecordKind(r.kind),
            holder_kind=r.holder_kind,
            region_code=r.region_code,
            account_no=r.account_no,
            status=r.status,
            balance=r.balance,
            monthly=r.monthly,
            months_paid=r.months_paid,
            years_paid=r.years_paid,
            since=r.since,
            insured_staff=r.insured_staff,
            entries=[
                RecordEntry(
                    period=e.period,
                    amount=e.amount,
                    employer_part=e.employer_part,
                    personal_part=e.personal_part,
                    status=e.status,
                )
                for e in r.entries
            ],
            as_of=r.as_of,
            demo=r.demo,
        )


def lookups(info: Info) -> PersonalLookups:
    found = info.context.qa.personal
    if found is None:
        raise Upstream("personal lookups are turned off on this server (PERSONAL_RECORDS=off)")
    return found


@strawberry.type
class LookupsQuery:
    @strawberry.field(
        description="The signed-in user's own record (Authorization: Bearer <access token>); UNAUTHENTICATED if "
        "anonymous, UPSTREAM when the records service fails or times out. Every call is audited"
    )
    async def my_records(self, info: Info, kind: RecordKind) -> PersonalRecord:
        c = info.context
        try:
            principal = await c.principal()
        except Unauthenticated:  # an expired or invalid token: refused (and audited) like no token
            principal = None
        found = await lookups(info).fetch(principal=principal, kind=kind.value, client=c.client)
        return PersonalRecord.of(found)

"""Where personal records come from: the connector interface, and a deterministic demo connector (no real data)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Protocol

from core.lookups.models import Holder, PersonalRecord, RecordEntry, RecordKind

ENTRIES = 12  # months of history a record carries
# Contribution rates (单位, 个人) as commonly set; the demo applies them to a made-up base.
RATES: dict[RecordKind, tuple[float, float]] = {
    "housing_fund": (0.12, 0.12),
    "medical": (0.08, 0.02),
    "pension": (0.16, 0.08),
}
STATUS = {"housing_fund": "正常缴存", "medical": "正常参保", "pension": "正常参保"}


class PersonalRecordsConnector(Protocol):
    """A housing fund centre's or social insurance bureau's query service, as 一网通答 calls it."""

    name: str

    async def fetch(self, *, holder: Holder, kind: RecordKind, today: date) -> PersonalRecord:
        """The holder's record of `kind`; raises on any failure (the caller turns it into UPSTREAM)."""
        ...


def _month_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


class DemoConnector:
    """Made-up records derived from the account id, kind and region (the same account always sees the same
    numbers); every record says `demo=True`. Never real data: for demonstrations and tests."""

    name = "demo"

    async def fetch(self, *, holder: Holder, kind: RecordKind, today: date) -> PersonalRecord:
        seed = hashlib.sha256(f"{holder.user_id}:{kind}:{holder.region_code or ''}".encode()).digest()
        region = int(holder.region_code[:2]) if holder.region_code else 0  # richer provinces, higher bases
        base = 4_000 + int.from_bytes(seed[:2]) % 9_000 + region * 40
        staff = 5 + seed[2] % 200 if holder.kind == "legal" else None
        employer_rate, personal_rate = RATES[kind]
        employer, personal = base * employer_rate, base * personal_rate
        if staff is not None:  # 单位: the contributions it pays for all its staff
            employer, personal = employer * staff, personal * staff
        months = 6 + int.from_bytes(seed[3:5]) % 300
        unpaid = seed[5] % 12 if seed[6] % 4 == 0 else None  # now and then one month is still owed
        entries = tuple(
            RecordEntry(
                period=_month_back(today, i).strftime("%Y-%m"),
                amount=round(employer + personal, 2),
                employer_part=round(employer, 2),
                personal_part=round(personal, 2),
                status="未缴" if i == unpaid else "已缴",
            )
            for i in range(min(ENTRIES, months))
        )
        balance = None if kind == "pension" else round((employer + personal) * (3 + seed[7] % 40), 2)
        if kind == "medical" and staff is None:
            balance = round(personal * (2 + seed[7] % 30), 2)  # a person's medical account: the personal part
        return PersonalRecord(
            kind=kind,
            holder_kind=holder.kind,
            region_code=holder.region_code,
            account_no=f"DEMO{int.from_bytes(seed[8:14]):015d}"[:19],
            status=STATUS[kind],
            balance=balance,
            monthly=round(employer + personal, 2),
            months_paid=months,
            since=_month_back(today, months - 1),
            insured_staff=staff,
            entries=entries,
            as_of=today,
            demo=True,
        )

"""Parsing what people type into files and forms: amounts, dates, sources and stages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from core.disclosure.models import ASSET_KINDS, SOURCES, STAGES
from core.errors import Invalid

MAX_AMOUNT = Decimal("99999999999999.99")
SOURCE_ALIASES = {
    "市级": "市",
    "区": "区",
    "区级": "区",
    "县": "区",
    "县级": "区",
    "区(市)县": "区",
    "镇级": "镇",
    "乡镇": "镇",
    "街道": "镇",
    "乡": "镇",
}


def parse_amount(raw: object, *, what: str = "amount", positive: bool = False) -> Decimal:
    """元 with at most two decimals; `1,234.50` and `1234.5元` are fine; negative or non-numeric is Invalid."""
    if isinstance(raw, Decimal | int | float) and not isinstance(raw, bool):
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("，", "").removesuffix("元").strip()
    else:
        raise Invalid(f"{what} {raw!r} is not a number")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid(f"{what} {raw!r} is not a number") from None
    if not value.is_finite():
        raise Invalid(f"{what} {raw!r} is not a number")
    if value < 0 or (positive and value == 0):
        raise Invalid(f"{what} {raw} must be {'above' if positive else 'at least'} 0")
    if value > MAX_AMOUNT:  # first: 1e30 to 分 is past Decimal's precision (InvalidOperation)
        raise Invalid(f"{what} {raw} is too large")
    if value != value.quantize(Decimal("0.01")):
        raise Invalid(f"{what} {raw} has more than two decimals (分)")
    return value.quantize(Decimal("0.01"))


def parse_date(raw: object, *, what: str = "date") -> date:
    """A date as 2024-03-05, 2024/3/5 or 2024年3月5日 (or a spreadsheet's date)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and len(raw) == 10:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    text = str(raw).strip().replace("/", "-").replace("年", "-").replace("月", "-").removesuffix("日")
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return date(y, m, d)
    except ValueError:
        raise Invalid(f"{what} {raw!r} is not a date like 2024-03-05") from None


def parse_source(raw: str) -> str:
    value = SOURCE_ALIASES.get(raw.strip(), raw.strip())
    if value not in SOURCES:
        raise Invalid(f"source {raw!r} must be one of {' / '.join(SOURCES)} (市级, 区县级, 乡镇级)")
    return value


def parse_stage(raw: str) -> str:
    value = raw.strip()
    if value not in STAGES:
        raise Invalid(f"stage {raw!r} must be one of {' → '.join(STAGES)}")
    return value


def parse_kind(raw: str) -> str:
    value = raw.strip()
    if value not in ASSET_KINDS:
        raise Invalid(f"kind {raw!r} must be 资源 (an area) or 资产 (a value)")
    return value


def parse_year(raw: object) -> int:
    try:
        year = int(str(raw).strip())
    except ValueError:
        raise Invalid(f"year {raw!r} is not a year") from None
    if not 2000 <= year <= 2100:
        raise Invalid(f"year {year} is not between 2000 and 2100")
    return year

"""Import rows: the columns of each kind of file (English or Chinese headers) and each row as a checked draft."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeAlias
from uuid import UUID

from core.disclosure.boards import check_category
from core.disclosure.funds import AssetDraft, FundDraft, SpendingDraft
from core.disclosure.hierarchy import check_code
from core.disclosure.items import BODY_MAX, EXTERNAL_ID_MAX, TITLE_MAX, ItemDraft, external_id, text_field
from core.disclosure.periods import Period, check_in_period, parse_period
from core.disclosure.units import UnitRow
from core.disclosure.values import parse_date
from core.errors import Invalid

# A checked item row: the id its item gets if it is new (32 hex digits, bulk_store.time_ordered_ids), external id,
# unit, board, category, period, its first and last day, date, title, body: a row of the import's staging table
# (core/disclosure/bulk_store.py) as it is. A plain tuple, made once per row (a named tuple cost four times as much).
ItemRow: TypeAlias = tuple[str | UUID, str, str, str, str, str, date, date, date, str, str]
CACHED = 50_000  # distinct values remembered per check before a cache starts again

KINDS = ("units", "items", "funds", "spending", "assets")
ALIASES: dict[str, str] = {
    "外部编号": "external_id",
    "编号": "external_id",
    "单位代码": "unit_code",
    "区划代码": "unit_code",
    "村(社区)代码": "unit_code",
    "乡镇代码": "township_code",
    "所属乡镇代码": "township_code",
    "代码": "code",
    "上级代码": "parent_code",
    "层级": "level",
    "名称": "name",
    "项目名称": "name",
    "板块": "board",
    "类别": "category",
    "项目类别": "category",
    "期间": "period",
    "公开期间": "period",
    "日期": "dated",
    "事项日期": "dated",
    "标题": "title",
    "内容": "body",
    "正文": "body",
    "资金来源": "source",
    "金额": "amount",
    "资金金额": "amount",
    "支出金额": "amount",
    "阶段": "stage",
    "年度": "year",
    "阶段日期": "stage_on",
    "项目编号": "fund_external_id",
    "支出日期": "spent_on",
    "收款方": "payee",
    "摘要": "note",
    "类型": "kind",
    "面积": "area",
    "价值": "value",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "units": ("code", "name"),
    "items": ("external_id", "unit_code", "category", "period", "dated", "title"),
    "funds": ("external_id", "unit_code", "name", "category", "source", "amount"),
    "spending": ("external_id", "fund_external_id", "amount", "spent_on"),
    "assets": ("external_id", "unit_code", "kind", "name"),
}


def column(name: str) -> str:
    name = name.strip().lstrip("\ufeff")
    return ALIASES.get(name, name.lower())


def detect_kind(columns: set[str]) -> str:
    """The kind of file its columns make: spending names its project, funds a source, assets a kind, items a title,
    units a code."""
    for kind, marker in (("spending", "fund_external_id"), ("funds", "source"), ("assets", "kind")):
        if marker in columns:
            return kind
    if "title" in columns:
        return "items"
    if "code" in columns or "parent_code" in columns:
        return "units"
    raise Invalid("cannot tell what the file holds: see docs/disclosure.md for the columns of each kind of file")


def check_columns(kind: str, columns: set[str]) -> None:
    if kind == "units" and "unit_code" in columns:  # 区划代码 names the unit itself in a file of units
        columns = columns | {"code"}
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        raise Invalid(f"a {kind} file needs the columns {', '.join(missing)} (docs/disclosure.md)")


def _text(cells: dict[str, Any], name: str) -> str:
    return text_of(cells.get(name))


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's number cell holding a code
    return str(value).strip()


def _unit(c: dict[str, Any]) -> UnitRow:
    return UnitRow(
        code=_text(c, "code") or _text(c, "unit_code"),
        name=_text(c, "name"),
        parent_code=_text(c, "parent_code") or None,
        level=_text(c, "level") or None,
    )


def _item(c: dict[str, Any]) -> ItemDraft:
    return ItemDraft(
        unit_code=_text(c, "unit_code"),
        board=_text(c, "board") or None,
        category=_text(c, "category"),
        period=_text(c, "period"),
        dated=parse_date(c.get("dated", ""), what="date"),
        title=_text(c, "title"),
        body=_text(c, "body"),
        external_id=_text(c, "external_id"),
    )


def _fund(c: dict[str, Any]) -> FundDraft:
    stage_on = _text(c, "stage_on")
    return FundDraft(
        unit_code=_text(c, "unit_code"),
        name=_text(c, "name"),
        category=_text(c, "category"),
        source=_text(c, "source"),
        amount=c.get("amount", ""),
        stage=_text(c, "stage") or None,  # left out: 立项 for a new project, its own stage for a stored one
        year=_text(c, "year") or (parse_date(stage_on).year if stage_on else 2024),
        stage_on=parse_date(stage_on, what="stage date") if stage_on else None,
        external_id=_text(c, "external_id"),
    )


def _spending(c: dict[str, Any]) -> tuple[str, SpendingDraft]:
    draft = SpendingDraft(
        amount=c.get("amount", ""),
        spent_on=parse_date(c.get("spent_on", ""), what="spending date"),
        payee=_text(c, "payee"),
        note=_text(c, "note"),
        external_id=_text(c, "external_id"),
    )
    fund = _text(c, "fund_external_id")
    if not fund:
        raise Invalid("the project's external id (fund_external_id, 项目编号) is empty")
    return fund, draft


def _asset(c: dict[str, Any]) -> AssetDraft:
    return AssetDraft(
        unit_code=_text(c, "unit_code"),
        kind=_text(c, "kind"),
        name=_text(c, "name"),
        category=_text(c, "category"),
        area=c.get("area") or 0,
        value=c.get("value") or 0,
        external_id=_text(c, "external_id"),
    )


BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "units": _unit,
    "items": _item,
    "funds": _fund,
    "spending": _spending,
    "assets": _asset,
}


class _Remembered:
    """What a check gave for each value seen (its result, or its error raised again), so that what a file repeats
    on every row is checked once. `seen` is read directly on the hot path; a miss or an error calls this."""

    __slots__ = ("check", "seen")

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check
        self.seen: dict[Any, Any] = {}

    def __call__(self, key: Any) -> Any:
        found = self.seen.get(key)
        if found is None:
            try:
                found = self.check(key)
            except Invalid as exc:
                found = exc
            if len(self.seen) >= CACHED:
                self.seen.clear()
            self.seen[key] = found
        if isinstance(found, Invalid):
            raise Invalid(found.message)
        return found


def _category(key: tuple[str, str | None]) -> tuple[str, str]:
    return check_category(*key)


def _unit_code(code: str) -> str:
    return check_code(code)


class ItemRows:
    """The rows of one items file checked as `ItemDraft(...).check()` checks an item (the same values, the same
    errors in the same order), by column index instead of a dict per row, and with what a file repeats on every
    row (its categories, periods, dates and unit codes) checked once."""

    def __init__(self, header: Sequence[str]) -> None:
        where = {name: i for i, name in enumerate(header) if name}  # a later column of the same name wins
        self.header, self.width = header, len(header)
        names = ("external_id", "unit_code", "board", "category", "period", "title", "body", "township_code")
        self.at = tuple(where.get(n, -1) for n in names)  # -1: a column the file lacks reads ""
        self.dated = where.get("dated")
        self.dates, self.categories = _Remembered(parse_date), _Remembered(_category)
        self.periods, self.units = _Remembered(parse_period), _Remembered(_unit_code)

    def check(self, values: Sequence[Any], new_id: str) -> tuple[ItemRow, str]:
        """The checked row (with `new_id`, the id its item gets if it is new) and its township code (checked against
        the import's units by the caller)."""
        n = len(values)
        texts = [v.strip() if type(v) is str else text_of(v) for v in values]
        if n < self.width:
            texts += [""] * (self.width - n)
        texts.append("")
        i_ext, i_unit, i_board, i_category, i_period, i_title, i_body, i_township = self.at
        raw = values[self.dated] if self.dated is not None and self.dated < n else ""
        day = self.dates.seen.get(raw)
        if type(day) is not date:
            day = self.dates(raw)
        key = (texts[i_category], texts[i_board] or None)
        board_category = self.categories.seen.get(key)
        if type(board_category) is not tuple:
            board_category = self.categories(key)
        p = self.periods.seen.get(texts[i_period])
        if type(p) is not Period:
            p = self.periods(texts[i_period])
        unit = texts[i_unit]
        if type(self.units.seen.get(unit)) is not str:
            self.units(unit)
        if not p.start <= day <= p.end:
            check_in_period(p, day, what="the date")
        title, body, ext = texts[i_title], texts[i_body], texts[i_ext]
        if not title or len(title) > TITLE_MAX:
            text_field("title", title, TITLE_MAX)
        if len(body) > BODY_MAX:
            text_field("body", body, BODY_MAX, empty=True)
        if len(ext) > EXTERNAL_ID_MAX:
            external_id(ext)
        board, category = board_category
        return (new_id, ext, unit, board, category, p.label, p.start, p.end, day, title, body), texts[i_township]

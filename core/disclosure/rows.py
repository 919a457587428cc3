"""Import rows: the columns of each kind of file (English or Chinese headers) and each row as a checked draft."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.disclosure.funds import AssetDraft, FundDraft, SpendingDraft
from core.disclosure.items import ItemDraft
from core.disclosure.units import UnitRow
from core.disclosure.values import parse_date
from core.errors import Invalid

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
    value = cells.get(name)
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
        stage=_text(c, "stage") or "立项",
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

"""The words of a personal answer: 您的 … for a person, 贵单位 … 单位缴存 / 单位参保 for a legal person."""

from __future__ import annotations

from core.lookups.models import KIND_NAMES, Aspect, PersonalRecord, RecordKind

HOTLINE = "12345"
HISTORY_SHOWN = 6


def _yuan(value: float) -> str:
    return f"{value:,.2f} 元"


def _where(record: PersonalRecord) -> str:
    return f"，所在地区 {record.region_code}" if record.region_code else ""


def _head(record: PersonalRecord) -> str:
    name = KIND_NAMES[record.kind]
    demo = "（演示数据）" if record.demo else ""
    if record.holder_kind == "legal":
        what = "单位缴存账户" if record.kind == "housing_fund" else "单位参保账户"
        staff = f"，为 {record.insured_staff} 名职工" + ("缴存" if record.kind == "housing_fund" else "参保")
        return f"{demo}贵单位的{name}{what}（单位账号 {record.account_no}{_where(record)}{staff}）"
    return f"{demo}您的{name}账户（账号 {record.account_no}{_where(record)}）"


def _balance(record: PersonalRecord) -> str:
    if record.balance is None:  # a pension has no balance to draw: say what was paid instead
        return f"不设可查询余额；已累计缴费 {record.months_paid} 个月，最近一个月缴费 {_yuan(record.monthly)}"
    owner = "单位账户" if record.holder_kind == "legal" else "账户"
    return f"{owner}当前余额 {_yuan(record.balance)}，状态：{record.status}"


def _years(record: PersonalRecord) -> str:
    since = record.since.strftime("%Y年%m月")
    if record.holder_kind == "legal":
        verb = "单位缴存" if record.kind == "housing_fund" else "单位参保"
        return f"自{since}起{verb}，累计 {record.months_paid} 个月（约 {record.years_paid} 年）"
    verb = "缴存" if record.kind == "housing_fund" else "缴费"
    return f"自{since}起累计{verb} {record.months_paid} 个月（约 {record.years_paid} 年），状态：{record.status}"


def _history(record: PersonalRecord) -> str:
    shown = record.entries[:HISTORY_SHOWN]
    lines = "；".join(
        f"{e.period} {e.status} {_yuan(e.amount)}（单位 {_yuan(e.employer_part)}，"
        f"{'职工' if record.holder_kind == 'legal' else '个人'} {_yuan(e.personal_part)}）"
        for e in shown
    )
    owed = [e.period for e in record.entries if e.status != "已缴"]
    note = f"。注意：{'、'.join(owed)} 尚未缴纳，请核实" if owed else ""
    return f"最近 {len(shown)} 个月的缴费记录：{lines}{note}"


def _monthly(record: PersonalRecord) -> str:
    last = record.entries[0] if record.entries else None
    parts = f"（单位 {_yuan(last.employer_part)}，个人 {_yuan(last.personal_part)}）" if last else ""
    return f"状态：{record.status}；最近一个月缴纳 {_yuan(record.monthly)}{parts}；累计 {record.months_paid} 个月"


def record_text(record: PersonalRecord, aspect: Aspect) -> str:
    """The answer to `aspect` (余额, 年限, 记录, 概况) from the record, worded for a person or a legal person."""
    body = {"balance": _balance, "years": _years, "history": _history, "overview": _monthly}[aspect](record)
    return f"{_head(record)}{body}。数据截至 {record.as_of.isoformat()}。"


def sign_in_text(kind: RecordKind, login_url: str, *, expired: bool) -> str:
    why = "您的登录已过期" if expired else "查询本人的" + KIND_NAMES[kind] + "信息需要先登录"
    return f"{why}。请先通过统一身份认证登录（{login_url}），登录后再问我一次即可。"


def unavailable_text(kind: RecordKind) -> str:
    return (
        f"抱歉，{KIND_NAMES[kind]}查询服务暂时无法连接，请稍后再试；"
        f"也可以拨打{HOTLINE}政务服务便民热线或到经办窗口查询。"
    )

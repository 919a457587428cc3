"""Commitments (承诺事项) proposed from the answers given on air, with the due date the answer names: a heuristic
whose proposals an editor confirms or edits (docs/engagement.md)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.engagement.models import CONTENT_MAX, DEPARTMENT_MAX, Exchange
from core.engagement.transcript import POST, TURN
from core.letters import add_working_days
from core.textzh.normalize import to_simplified

UNKNOWN_DEPARTMENT = "待确认"
_NUM = r"(\d{1,3}|[一二两三四五六七八九十半]{1,3})"
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
_PROMISE = re.compile(r"承诺|保证|确保|力争|务必")
# 6月30日前, 2025年6月30日之前, 九月底前, 10月中旬前
_DATE_BEFORE = re.compile(rf"(?:(\d{{4}})年)?{_NUM}月(?:{_NUM}[日号]|(底|上旬|中旬|下旬))\s*(?:之前|以前|前|为止)")
# 15个工作日内, 30日内, 三个月内, 两周内, 半个月内, 一年内
_WITHIN = re.compile(rf"{_NUM}\s*个?\s*(工作日|日|天|周|星期|月|年)\s*(?:之内|以内|内)")
# 本月底前, 下月底前, 年底前, 今年内, 明年底前
_PERIOD = re.compile(r"(本月|下个?月|今年|年|明年)(?:底\s*(?:之前|以前|前)|内)|(?<![年\d])月底\s*(?:之前|以前|前)")


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """A commitment the heuristic found: the sentence it came from and its due date, when one is named."""

    exchange_seq: int
    department: str
    content: str
    due_on: date | None


def number(raw: str) -> float:
    """15 → 15, 十五 → 15, 二十 → 20, 两 → 2, 半 → 0.5."""
    if raw.isdigit():
        return int(raw)
    if raw == "半":
        return 0.5
    if "十" in raw:
        tens, _, ones = raw.partition("十")
        return (_CN.get(tens, 1) if tens else 1) * 10 + _CN.get(ones, 0)
    return _CN.get(raw, 0)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(start: date, months: int) -> date:
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _dated(m: re.Match[str], aired: date) -> date | None:
    year, month = int(m.group(1) or aired.year), int(number(m.group(2)))
    if not 1 <= month <= 12:
        return None
    part = m.group(4)
    last = calendar.monthrange(year, month)[1]
    day = {"底": last, "上旬": 10, "中旬": 20, "下旬": last}.get(part or "", int(number(m.group(3) or "0")))
    if not 1 <= day <= last:
        return None
    found = date(year, month, day)
    return date(year + 1, month, min(day, 28 if month == 2 else day)) if found < aired and not m.group(1) else found


def _within(m: re.Match[str], aired: date) -> date | None:
    n, unit = number(m.group(1)), m.group(2)
    if n <= 0:
        return None
    if unit == "工作日":
        return add_working_days(aired, int(n)) if 1 <= n <= 365 else None
    if unit in ("日", "天"):
        return aired + timedelta(days=int(n))
    if unit in ("周", "星期"):
        return aired + timedelta(days=int(n * 7))
    if unit == "月":
        return aired + timedelta(days=15) if n == 0.5 else add_months(aired, int(n))
    return add_months(aired, int(n * 12))


def _period(m: re.Match[str], aired: date) -> date:
    which = m.group(1)
    if which is None or which == "本月":
        return month_end(aired.year, aired.month)
    if which.startswith("下"):
        nxt = add_months(aired.replace(day=1), 1)
        return month_end(nxt.year, nxt.month)
    return date(aired.year + (which == "明年"), 12, 31)


def due_date(sentence: str, aired: date) -> date | None:
    """The due date a sentence names, counted from the air date: 6月30日前, 15个工作日内, 年底前…; else None."""
    for pattern, read in ((_DATE_BEFORE, _dated), (_WITHIN, _within), (_PERIOD, _period)):
        m = pattern.search(sentence)
        if m:
            found = read(m, aired)
            if found is not None:
                return found
    return None


def department_of(speaker: str | None) -> str:
    """The department in an answerer's label: 市交通局局长张三 → 市交通局; the label itself when none is named."""
    if not speaker:
        return UNKNOWN_DEPARTMENT
    plain = to_simplified(speaker)  # 市交通局局長 names its post as 局长 does
    label = speaker if len(plain) == len(speaker) else plain
    m = POST.search(plain)
    return (label[: m.start()] if m and m.start() > 0 else label)[:DEPARTMENT_MAX]


def _lines(e: Exchange) -> list[tuple[str | None, str]]:
    """The answer's lines with who said each: a line of the answer may hand over to another answerer (label：)."""
    speaker, out = e.speaker, []
    for line in e.answer.splitlines():
        m = TURN.match(line)
        if m:
            speaker, line = m.group(1), line[m.end() :]
        out.append((speaker, line))
    return out


def propose(exchanges: list[Exchange], aired: date) -> list[Proposal]:
    """A proposal per sentence of an answer that promises (承诺, 确保…) or names a deadline (…前, …日内), in
    simplified or traditional script (保證三十天內); the content is the sentence as said."""
    out = []
    for e in exchanges:
        for speaker, line in _lines(e):
            for m in _SENTENCE.finditer(line):
                sentence = m.group(0).strip()
                plain = to_simplified(sentence)
                due = due_date(plain, aired)
                if due is None and not _PROMISE.search(plain):
                    continue
                department = department_of(speaker)
                out.append(
                    Proposal(exchange_seq=e.seq, department=department, content=sentence[:CONTENT_MAX], due_on=due)
                )
    return out

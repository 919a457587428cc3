"""Dates as government pages write them: 2019年01月27日, 2019/1/27 09:22, 20190127, 二〇一九年一月二十七日."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

__all__ = ["FIRST_YEAR", "find_dates", "parse_date", "parse_datetime"]

FIRST_YEAR = 1900  # the earliest year a date is read as: no stored date (published, issued) is older

_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4}
_CN_DIGIT |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇零○Ｏ一二三四五六七八九十"
_TIME = r"(?:\s*T?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
_PATTERNS = [
    # 2019年01月27日, 2019 年 1 月 27 日
    re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?" + _TIME),
    # 2019-1-27, 2019/01/27 09:22, 2019.01.27, 2019_01_27
    re.compile(r"(?<![\d.])(\d{4})([-/._])(\d{1,2})\2(\d{1,2})(?![\d])" + _TIME),
    # 20190127, 20190127 09:22:00
    re.compile(r"(?<![\d/-])((?:19|20)\d{2})(\d{2})(\d{2})(?![\d/-])" + _TIME),
    # 二〇一九年一月二十七日
    re.compile(rf"([{_CN}]{{4}})\s*年\s*([{_CN}]{{1,3}})\s*月\s*([{_CN}]{{1,3}})\s*[日号]"),
]


def _cn_number(s: str) -> int:
    """一 → 1, 十二 → 12, 二十七 → 27, 三十一 → 31; a run of digits (二〇一九) reads digit by digit."""
    if "十" not in s:
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    tens, _, ones = s.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _build(y: int, m: int, d: int, hh: str | None, mm: str | None, ss: str | None) -> datetime | None:
    if not FIRST_YEAR <= y <= 2100:
        return None
    try:
        day = date(y, m, d)
        clock = time(int(hh), int(mm), int(ss or 0)) if hh is not None and mm is not None else time()
    except ValueError:
        return None
    return datetime.combine(day, clock)


def _candidates(s: str) -> list[tuple[int, datetime]]:
    s = unicodedata.normalize("NFKC", s)
    out: list[tuple[int, datetime]] = []
    for i, pattern in enumerate(_PATTERNS):
        for m in pattern.finditer(s):
            g = m.groups()
            if i == 0:
                value = _build(int(g[0]), int(g[1]), int(g[2]), g[3], g[4], g[5])
            elif i == 1:
                value = _build(int(g[0]), int(g[2]), int(g[3]), g[4], g[5], g[6])
            elif i == 2:
                value = _build(int(g[0]), int(g[1]), int(g[2]), g[3], g[4], g[5])
            else:
                try:
                    value = _build(_cn_number(g[0]), _cn_number(g[1]), _cn_number(g[2]), None, None, None)
                except (KeyError, ValueError):
                    value = None
            if value is not None:
                out.append((m.start(), value))
    out.sort(key=lambda t: t[0])
    return out


def parse_datetime(s: str | None) -> datetime | None:
    """The first date in s with its time of day when written (midnight otherwise), or None."""
    if not s:
        return None
    found = _candidates(s[:2000])
    return found[0][1] if found else None


def parse_date(s: str | None) -> date | None:
    """The first date in s (labels such as 发布时间： around it are fine), or None."""
    value = parse_datetime(s)
    return value.date() if value else None


def find_dates(s: str | None) -> list[date]:
    """Every date written in s, in order of appearance."""
    return [value.date() for _, value in _candidates(s)] if s else []

"""Instant answers shown above the results: public holidays from `chinesecalendar` (weather: core.search.weather)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from core.textzh.normalize import fold

# Holiday names as people type them → chinesecalendar's Holiday value.
HOLIDAYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "New Year's Day": ("元旦", ("元旦", "新年")),
    "Spring Festival": ("春节", ("春节", "过年", "新春", "除夕")),
    "Tomb-sweeping Day": ("清明节", ("清明",)),
    "Labour Day": ("劳动节", ("劳动节", "五一", "51")),
    "Dragon Boat Festival": ("端午节", ("端午",)),
    "Mid-autumn Festival": ("中秋节", ("中秋",)),
    "National Day": ("国庆节", ("国庆", "十一")),
}
_INTENT = re.compile(r"放假|放几天|假期|休假|调休|补班|上班|节假日|假日安排|连休|休息几天")
_YEAR = re.compile(r"((?:20|19)\d{2})\s*年?")


@dataclass(frozen=True)
class InstantAnswer:
    """A short answer to show above the results, with where it comes from."""

    kind: str
    title: str
    text: str
    source: str
    items: list[str] = field(default_factory=list)


class AnswerProvider(Protocol):
    """Something that may answer a query directly; returns None when the query is not for it."""

    def answer(self, query: str, *, today: date) -> InstantAnswer | None: ...


def _ranges(days: list[date]) -> list[tuple[date, date]]:
    out: list[tuple[date, date]] = []
    for day in sorted(days):
        if out and day - out[-1][1] == timedelta(days=1):
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


class HolidayAnswers:
    """放假安排, 春节放几天, 国庆调休, 元旦: the days off and make-up workdays of a year (State Council notice)."""

    def answer(self, query: str, *, today: date) -> InstantAnswer | None:
        q = fold(query)
        named = [key for key, (_, words) in HOLIDAYS.items() if any(w in q for w in words)]
        if not named and not _INTENT.search(q):
            return None
        if named and not _INTENT.search(q) and not re.search(r"几天|哪天|什么时候|安排|时间", q):
            return None
        from chinese_calendar.constants import holidays, workdays

        m = _YEAR.search(q)
        year = int(m.group(1)) if m else today.year
        if not any(d.year == year for d in holidays):
            return InstantAnswer("holiday", f"{year}年放假安排", f"暂无{year}年的放假安排数据。", "国务院办公厅通知")
        items = []
        for key in named or list(HOLIDAYS):
            off = [d for d, name in holidays.items() if d.year == year and name == key]
            if key == "National Day":  # the Mid-autumn day inside the National Day break belongs to it
                off += [
                    d
                    for d, name in holidays.items()
                    if d.year == year and name == "Mid-autumn Festival" and d.month == 10
                ]
            if key == "Mid-autumn Festival" and not named and all(d.month == 10 for d in off):
                continue  # listed inside the National Day break
            if not off:
                continue
            spans = _ranges(off)
            shift = sorted(
                d
                for d, name in workdays.items()
                if d.year in (year, year - 1) and name == key and abs((d - spans[0][0]).days) < 40
            )
            line = (
                f"{HOLIDAYS[key][0]}："
                + "、".join(f"{_md(a)}至{_md(b)}" if a != b else _md(a) for a, b in spans)
                + f"放假，共{len(off)}天"
            )
            if shift:
                line += "；" + "、".join(_md(d) for d in shift) + "上班（调休）"
            items.append(line)
        if not items:
            return None
        title = f"{year}年{HOLIDAYS[named[0]][0]}放假安排" if len(named) == 1 else f"{year}年节假日安排"
        return InstantAnswer(
            "holiday",
            title,
            items[0] if len(items) == 1 else "；".join(items),
            "国务院办公厅关于节假日安排的通知（chinesecalendar 数据）",
            items,
        )


def default_providers() -> list[AnswerProvider]:
    """The answer providers that work without outside services."""
    return [HolidayAnswers()]

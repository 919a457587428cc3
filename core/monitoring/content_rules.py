"""Content rules: idle, long-idle and blank columns, serious wrong expressions, unanswered letters."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from core.clock import local_date
from core.monitoring.columns import SHOULD_UPDATE
from core.monitoring.models import ColumnFact, Draft, Letter, RuleResult, SiteFacts
from core.monitoring.rules import Rule
from core.textzh.normalize import fold
from core.textzh.sensitive import SensitiveFilter

TYPE_NAMES = {
    "news": "动态要闻类",
    "notice": "通知公告类",
    "policy": "政策文件类",
    "interpretation": "政策解读类",
    "service": "办事服务类",
    "interaction": "互动交流类",
    "personnel": "人事信息类",
    "planning": "规划计划类",
    "other": "其他",
}
CONTEXT = 12  # characters shown either side of a wrong expression


def _idle_days(col: ColumnFact, now: datetime) -> int | None:
    return (local_date(now) - col.last_published).days if col.last_published else None


def _column_draft(col: ColumnFact, summary: str, now: datetime, **extra: object) -> Draft:
    return Draft(
        key=f"column:{col.id}",
        url=col.list_url,
        column=col.name,
        summary=summary,
        evidence={
            "column": col.name,
            "type": col.type,
            "items": col.items,
            "list_url": col.list_url,
            "last_published": col.last_published.isoformat() if col.last_published else None,
            "newest_url": col.newest_url,
            "idle_days": _idle_days(col, now),
            **extra,
        },
    )


class ColumnsIdle(Rule):
    """栏目不更新: 动态要闻类 idle over 2 weeks plus 通知公告/政策文件类 idle over 6 months; veto at ≥ 5 in total."""

    name = "columns_idle"
    web_pages = True
    title = "栏目不更新"
    defaults: ClassVar[dict[str, float]] = {
        "news_idle_days": 14,
        "notice_idle_days": 180,
        "veto_at": 5,
        "deduct_each": 1.0,
        "deduct_max": 5.0,
    }

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        limits = {"news": t["news_idle_days"], "notice": t["notice_idle_days"], "policy": t["notice_idle_days"]}
        findings = []
        for col in facts.columns:
            limit, idle = limits.get(col.type), _idle_days(col, now)
            if limit is not None and idle is not None and idle > limit:
                summary = f"{TYPE_NAMES[col.type]}栏目「{col.name}」{idle} 天未更新（最近 {col.last_published}）"
                findings.append(_column_draft(col, summary, now, limit_days=limit))
        return self.counted(findings, t, f"超过更新周期的栏目 {len(findings)} 个")


class ColumnsLongIdle(Rule):
    """应更新但长期未更新的栏目: columns that should update and have not for a year; veto at ≥ 10."""

    name = "columns_long_idle"
    web_pages = True
    title = "应更新但长期未更新栏目"
    defaults: ClassVar[dict[str, float]] = {"idle_days": 365, "veto_at": 10, "deduct_each": 0.5, "deduct_max": 5.0}

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        findings = []
        for col in facts.columns:
            idle = _idle_days(col, now)
            if col.type in SHOULD_UPDATE and idle is not None and idle > t["idle_days"]:
                summary = f"栏目「{col.name}」长期未更新：{idle} 天（最近 {col.last_published}）"
                findings.append(_column_draft(col, summary, now, limit_days=t["idle_days"]))
        return self.counted(findings, t, f"超过 {t['idle_days']:g} 天未更新的栏目 {len(findings)} 个")


class BlankColumns(Rule):
    """空白栏目: columns with no content at all; veto at ≥ 5."""

    name = "columns_blank"
    web_pages = True
    title = "空白栏目"
    defaults: ClassVar[dict[str, float]] = {"veto_at": 5, "deduct_each": 1.0, "deduct_max": 5.0}

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        blank = [col for col in facts.columns if col.items == 0 and col.list_url]
        findings = [_column_draft(col, f"空白栏目「{col.name}」：没有任何内容", now) for col in blank]
        return self.counted(findings, t, f"{len(facts.columns)} 个栏目中空白栏目 {len(findings)} 个")


def _inside_right_form(text: str, start: int, wrong: str, right: str) -> bool:
    """Whether the wrong form found at `start` is part of its own right form (核心价值 in 社会主义核心价值观, in any
    script): the office listed the bare term, and the right form written in full is no error."""
    folded_right, folded_wrong = fold(right), fold(wrong)
    at = folded_right.find(folded_wrong)
    while at >= 0:
        begin = start - at
        if begin >= 0 and fold(text[begin : begin + len(right)]) == folded_right:
            return True
        at = folded_right.find(folded_wrong, at + 1)
    return False


class WrongExpressions(Rule):
    """严重表述错误: a listed misspelling of a political term or a leader's name, on any page; veto at ≥ 1."""

    name = "wrong_expressions"
    title = "严重表述错误"
    defaults: ClassVar[dict[str, float]] = {"veto_at": 1}

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        right = {e.wrong: e.right for e in facts.wrong_expressions}
        matcher = SensitiveFilter(right)
        # The filter reports words folded (simplified, half-width): map them back to the listed form.
        back = {folded: w for w in right for folded in SensitiveFilter([w]).words()}
        findings = []
        for doc in facts.documents:
            for where, text in (("title", doc.title), ("text", doc.text)):
                for hit in matcher.find(text):
                    wrong = back.get(hit.word, hit.word)
                    if wrong in right and _inside_right_form(text, hit.start, wrong, right[wrong]):
                        continue
                    start = max(0, hit.start - CONTEXT)
                    findings.append(
                        Draft(
                            key=f"{doc.url}#{where}:{hit.start}:{wrong}",
                            url=doc.url,
                            column=doc.column,
                            summary=f"「{text[hit.start : hit.end]}」应为「{right.get(wrong, '?')}」",
                            evidence={
                                "page": doc.url,
                                "title": doc.title,
                                "field": where,
                                "position": hit.start,
                                "found": text[hit.start : hit.end],
                                "right": right.get(wrong),
                                "context": text[start : hit.end + CONTEXT],
                            },
                        )
                    )
        measured = f"检查 {len(facts.documents)} 个页面、{len(right)} 条表述，发现 {len(findings)} 处错误"
        return self.counted(findings, t, measured)


class UnansweredLetters(Rule):
    """互动回应差: letters unanswered for more than 3 months veto; letters of the user space answered after their
    deadline (working days, LETTER_REPLY_DAYS), or still open past it, deduct late_deduct_each each."""

    name = "interaction_unanswered"
    title = "留言超过3个月未回复"
    defaults: ClassVar[dict[str, float]] = {
        "max_days": 90,
        "veto_at": 1,
        "late_deduct_each": 0.5,
        "late_deduct_max": 5.0,
    }

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        today = local_date(now)
        overdue = [x for x in facts.letters if x.replied is None and (today - x.asked).days > t["max_days"]]
        late = [x for x in facts.letters if _is_late(x, today) and x not in overdue]
        unanswered = [_unanswered(x, today) for x in overdue]
        pending = sum(1 for x in facts.letters if x.replied is None)
        measured = (
            f"留言 {len(facts.letters)} 件，办理中 {pending} 件，超过期限未回复 {len(unanswered)} 件，"
            f"超过答复期限 {len(late)} 件"
        )
        vetoed = len(unanswered) >= t["veto_at"] > 0
        deduction = 0.0 if vetoed else min(t["late_deduct_max"], t["late_deduct_each"] * len(late))
        return self.result(
            unanswered + [_late(x, today) for x in late], t, measured, vetoed=vetoed, deduction=round(deduction, 2)
        )


def _is_late(letter: Letter, today: date) -> bool:
    """Past the user space's deadline: answered after it, or still open after it."""
    if letter.due is None:
        return False
    return (letter.replied or today) > letter.due


def _where(letter: Letter) -> tuple[str, str | None]:
    return letter.url or f"letter:{letter.letter_id}", letter.url or None


def _unanswered(letter: Letter, today: date) -> Draft:
    waiting = (today - letter.asked).days
    key, url = _where(letter)
    return Draft(
        key=key,
        url=url,
        column=letter.column,
        summary=f"留言「{letter.title}」{waiting} 天未回复（留言时间 {letter.asked}）",
        evidence={"page": url, "title": letter.title, "asked": letter.asked.isoformat(), "waiting_days": waiting},
    )


def _late(letter: Letter, today: date) -> Draft:
    assert letter.due is not None
    key, url = _where(letter)
    answered = letter.replied or today
    days = (answered - letter.due).days
    state = f"{letter.replied} 答复" if letter.replied else "仍未答复"
    return Draft(
        key=f"{key}#late",
        url=url,
        column=letter.column,
        summary=f"留言「{letter.title}」超过答复期限 {days} 天（期限 {letter.due}，{state}）",
        evidence={
            "page": url,
            "letter_id": letter.letter_id,
            "title": letter.title,
            "asked": letter.asked.isoformat(),
            "due": letter.due.isoformat(),
            "replied": letter.replied.isoformat() if letter.replied else None,
            "days_late": days,
        },
    )

"""Rules over other features' views: open-data quality problems (回头看) and grassroots disclosure freshness."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from core.monitoring.models import Draft, QualityProblem, RuleResult, SiteFacts, StaleCategory
from core.monitoring.rules import Rule

KIND_NAMES = {
    "missing": "缺失值",
    "type": "类型错误",
    "duplicate": "重复行",
    "drift": "结构变化",
    "link": "下载链接失效",
    "stale": "更新不及时",
}
LEVEL_BELOW = {"市": "全市", "区县": "全区（县）", "乡镇街道": "本乡镇（街道）"}


class DataQuality(Rule):
    """开放数据质量（回头看）: each problem the quality review found in a dataset's resource, on the open-data site;
    deductions only (the national indicators have no veto for it)."""

    name = "opendata_quality"
    indicator = False
    title = "开放数据质量问题"
    veto = False
    defaults: ClassVar[dict[str, float]] = {"deduct_each": 0.1, "deduct_max": 5.0}

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        quality = facts.data_quality
        if quality is None:
            return self.result([], t, "非开放数据站点，不适用", vetoed=False, applies=False)
        findings = [_quality_draft(p) for p in quality.problems]
        datasets = len({p.dataset_id for p in quality.problems})
        departments = len({p.department for p in quality.problems})
        measured = f"{departments} 个部门 {datasets} 个数据集的质量问题 {quality.total} 项"
        counted = self.counted(findings, t, measured)
        if quality.total <= len(findings):
            return counted
        # Past the bound the rest are not judged this time: no open finding closes until all fit again.
        measured += f"（本次判定前 {len(findings)} 项）"
        return self.result(findings, t, measured, vetoed=False, deduction=counted.deduction, keep_all=True)


def _quality_draft(p: QualityProblem) -> Draft:
    what = KIND_NAMES.get(p.kind, p.kind)
    column = f"「{p.field}」" if p.field else ""
    return Draft(
        key=f"{p.dataset_id}/{p.resource_id}/{p.kind}/{p.field}",
        summary=f"数据集 {p.dataset}（{p.department_title}）{column}{what}：{p.summary}",
        evidence={
            "dataset": p.dataset,
            "dataset_id": p.dataset_id,
            "resource_id": p.resource_id,
            "department": p.department,
            "department_title": p.department_title,
            "kind": p.kind,
            "field": p.field,
            "count": p.count,
            "detail": p.summary,
            "found_at": p.found_at.isoformat(),
        },
    )


class DisclosureStale(Rule):
    """基层公开不及时: a village's category with no new published item for longer than DISCLOSURE_FRESHNESS_DAYS
    allows; on a township's, district's or city's site one finding per category counts its villages."""

    name = "disclosure_stale"
    indicator = False
    title = "基层公开不及时"
    veto = False
    defaults: ClassVar[dict[str, float]] = {"deduct_each": 1.0, "deduct_max": 5.0}

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        d = facts.disclosure
        if d is None:
            return self.result([], t, "非基层公开单位站点，不适用", vetoed=False, applies=False)
        if d.error is not None:
            return self.result([], t, f"DISCLOSURE_FRESHNESS_DAYS 有误，未判定：{d.error}", vetoed=False, keep_all=True)
        village = d.level == "村社区"
        findings = [_own_draft(s) if village else _rollup_draft(s, d.level) for s in d.stale]
        if village:
            measured = f"{len(d.categories)} 类公开内容中超过更新周期 {len(findings)} 类"
        else:
            villages = sum(s.villages for s in d.stale)
            measured = f"下辖村（社区）超过更新周期 {villages} 项，涉及 {len(findings)} 类"
        return self.counted(findings, t, measured)


def _since(v: dict[str, object]) -> str:
    if v.get("last_published") is None:
        return "尚无公开内容"
    return f"{v['days_since']} 天未公开（最近 {v['last_published']}）"


def _own_draft(s: StaleCategory) -> Draft:
    v = s.listed[0]
    return Draft(
        key=f"category:{s.category}",
        column=s.category,
        summary=f"「{s.category}」{_since(v)}，要求 {s.max_days} 天内更新",
        evidence={
            "category": s.category,
            "max_days": s.max_days,
            "last_published": v["last_published"],
            "days_since": v["days_since"],
        },
    )


def _rollup_draft(s: StaleCategory, level: str) -> Draft:
    names = "、".join(str(v["name"]) for v in s.listed[:5])
    more = f"等 {s.villages} 个" if s.villages > 5 else ""
    return Draft(
        key=f"category:{s.category}",
        column=s.category,
        summary=f"{LEVEL_BELOW.get(level, '')}{s.villages} 个村（社区）「{s.category}」超过 {s.max_days} 天未更新："
        f"{names}{more}",
        evidence={"category": s.category, "max_days": s.max_days, "villages": s.villages, "listed": s.listed},
    )

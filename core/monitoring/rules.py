"""Inspection rules, one object each, with defaults from the 2019 national indicators (国办秘函〔2019〕19号): the base
class and the homepage's rules (link rules: link_rules.py; content, commitment and feature rules: their modules)."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar

from core.clock import local_date
from core.monitoring.models import DatedItem, Draft, RuleResult, SiteFacts

NO_WEB_PAGES = "基层公开单位站点，无网站页面，不适用"


class Rule(abc.ABC):
    """One check of the indicators: `evaluate` turns a site's facts into findings and a score."""

    name: ClassVar[str]
    title: ClassVar[str]
    veto: ClassVar[bool] = True
    defaults: ClassVar[dict[str, float]]
    help: ClassVar[dict[str, str]] = {}
    # Judges a crawled web site's homepage, columns, links or probes: 不适用 on a site without web pages.
    web_pages: ClassVar[bool] = False
    # One of the national indicators: on every scorecard, 不适用 where it does not apply; a feature's rule (open
    # data, disclosure, 电视问政) is left off the scorecard of a site without the feature.
    indicator: ClassVar[bool] = True

    def settings(self, overrides: Mapping[str, float]) -> dict[str, float]:
        return {k: float(overrides.get(k, v)) for k, v in self.defaults.items()}

    @abc.abstractmethod
    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        """Judge the site at `now` with thresholds `t`."""

    def judge(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        """`evaluate`, unless the rule reads web pages and the site has none: then 不适用, out of the score (a
        unit's site would otherwise pass 首页栏目不更新 with no homepage at all)."""
        if self.web_pages and not facts.web_pages:
            return self.result([], t, NO_WEB_PAGES, vetoed=False, applies=False)
        return self.evaluate(facts, t, now)

    def counted(
        self, findings: list[Draft], t: dict[str, float], measured: str, keep: frozenset[str] = frozenset()
    ) -> RuleResult:
        """The common score: veto when the count reaches veto_at, else deduct_each per finding up to deduct_max."""
        n = len(findings)
        vetoed = self.veto and "veto_at" in t and n >= t["veto_at"] > 0
        deduction = 0.0 if vetoed else min(t.get("deduct_max", 0.0), t.get("deduct_each", 0.0) * n)
        return self.result(findings, t, measured, vetoed=vetoed, deduction=round(deduction, 2), keep=keep)

    def result(
        self,
        findings: list[Draft],
        t: dict[str, float],
        measured: str,
        *,
        vetoed: bool | None = None,
        deduction: float = 0.0,
        keep: frozenset[str] = frozenset(),
        keep_all: bool = False,
        applies: bool = True,
    ) -> RuleResult:
        """This rule's result; left out, `vetoed` is whether there are findings (a rule that vetoes on any)."""
        return RuleResult(
            rule=self.name,
            title=self.title,
            findings=findings,
            vetoed=bool(findings) if vetoed is None else vetoed,
            deduction=deduction,
            measured=measured,
            thresholds=t,
            keep=keep,
            keep_all=keep_all,
            applies=applies,
            listed=applies or self.indicator,
            veto_rule=self.veto,
        )


class SiteUnreachable(Rule):
    """站点无法访问: the homepage does not open within 15 s in ≥ 5% of the probes of a week (≥ 20 a day)."""

    name = "site_unreachable"
    web_pages = True
    title = "站点无法访问"
    defaults: ClassVar[dict[str, float]] = {
        "window_days": 7,
        "timeout_s": 15,
        "veto_ratio": 0.05,
        "probes_per_day": 24,
        "min_probes": 20,
    }

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        since = now - timedelta(days=t["window_days"])
        limit_ms = t["timeout_s"] * 1000
        probes = [p for p in facts.probes if since < p.probed_at <= now]
        failed = [p for p in probes if not p.ok or (p.elapsed_ms or 0) > limit_ms]
        ratio = len(failed) / len(probes) if probes else 0.0
        measured = f"{t['window_days']:g} 天内监测 {len(probes)} 次，失败 {len(failed)} 次（{ratio:.1%}）"
        if len(probes) < t["min_probes"]:
            # Too few probes to judge: an open finding stays as it is.
            return self.result([], t, measured + "，次数不足，暂不判定", keep=frozenset({"homepage"}))
        findings = []
        if ratio >= t["veto_ratio"]:
            recent = sorted(failed, key=lambda p: p.probed_at, reverse=True)[:10]
            findings.append(
                Draft(
                    key="homepage",
                    url=facts.homepage_url,
                    summary=f"首页 {ratio:.1%} 的监测无法在 {t['timeout_s']:g} 秒内打开"
                    f"（{len(failed)}/{len(probes)} 次）",
                    evidence={
                        "probes": len(probes),
                        "failed": len(failed),
                        "ratio": round(ratio, 4),
                        "failures": [
                            {
                                "at": p.probed_at.isoformat(),
                                "status": p.status,
                                "error": p.error,
                                "elapsed_ms": p.elapsed_ms,
                            }
                            for p in recent
                        ],
                    },
                )
            )
        return self.result(findings, t, measured)


class HomepageStale(Rule):
    """首页不更新: nothing new on the homepage for 2 weeks (a navigation-only homepage: its second-level pages)."""

    name = "homepage_stale"
    web_pages = True
    title = "首页栏目不更新"
    defaults: ClassVar[dict[str, float]] = {"idle_days": 14}

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        if facts.homepage_url is None:
            return self.result([], t, "首页尚未采集", keep=frozenset({"homepage"}))
        navigation_only = not facts.homepage_items
        items = facts.second_level_items if navigation_only else facts.homepage_items
        newest: DatedItem | None = max(items, key=lambda i: i.published, default=None)
        today = local_date(now)
        idle = (today - newest.published).days if newest else None
        where = "二级页面" if navigation_only else "首页"
        measured = f"{where}最近更新：{newest.published.isoformat() if newest else '无'}"
        findings = []
        if idle is None or idle > t["idle_days"]:
            last = f"（最近更新 {newest.published}）" if newest else "（没有带日期的信息）"
            findings.append(
                Draft(
                    key="homepage",
                    url=facts.homepage_url,
                    summary=f"首页超过 {t['idle_days']:g} 天未更新{last}",
                    evidence={
                        "newest_date": newest.published.isoformat() if newest else None,
                        "newest_url": newest.url if newest else None,
                        "newest_title": newest.title if newest else None,
                        "idle_days": idle,
                        "navigation_only": navigation_only,
                    },
                )
            )
        return self.result(findings, t, measured)

"""Inspection rules, one object each, with defaults from the 2019 national indicators (国办秘函〔2019〕19号)."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from core.clock import local_date
from core.monitoring.models import DatedItem, Draft, LinkCheck, LinkFact, RuleResult, SiteFacts

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


class _BrokenLinks(Rule):
    """Links, images and attachments that do not open, from the link checks of the last days: one finding per
    link, listing the pages it is on (a footer link on 500 pages is one thing to fix, not 500)."""

    veto = False
    web_pages = True
    on_homepage: ClassVar[bool]

    def evaluate(self, facts: SiteFacts, t: dict[str, float], now: datetime) -> RuleResult:
        fresh_after = now - timedelta(days=t["max_check_age_days"])
        findings, keep, checked, offline = [], set(), 0, 0
        for url, links in self._grouped(facts.links).items():
            check = links[0].check
            if check is None or check.checked_at < fresh_after:
                keep.add(url)  # not judged: an earlier finding stays as it is
                continue
            if failure_class(check.status, check.error) == NETWORK_DOWN:
                offline += 1  # our network was down, not the link: not judged either
                keep.add(url)
                continue
            checked += 1
            if not check.ok:
                findings.append(self._draft(url, links, check))
        measured = f"检查链接 {checked} 个，不可用 {len(findings)} 个"
        if len(keep) > offline:
            measured += f"，{len(keep) - offline} 个未检查"
        if offline:
            measured += f"，{offline} 个站外链接因监测网络不通未判定"
        return self.counted(findings, t, measured, frozenset(keep))

    def _grouped(self, links: list[LinkFact]) -> dict[str, list[LinkFact]]:
        """This rule's links by URL, each with the pages it is on (the homepage first): a link on the homepage
        belongs to the homepage rule only."""
        on_home = {link.url for link in links if link.on_homepage}
        grouped: dict[str, list[LinkFact]] = {}
        for link in links:
            if (link.url in on_home) == self.on_homepage:
                grouped.setdefault(link.url, []).append(link)
        for pages in grouped.values():
            pages.sort(key=lambda link: (not link.on_homepage, link.page_url))
        return grouped

    def _draft(self, url: str, links: list[LinkFact], check: LinkCheck) -> Draft:
        first = links[0]
        pages = list(dict.fromkeys(link.page_url for link in links))
        what = {"attachment": "附件", "image": "图片"}.get(first.kind, "链接")
        failure = failure_class(check.status, check.error)
        where = f"（{len(pages)} 个页面）" if len(pages) > 1 else ""
        return Draft(
            key=url,
            url=first.page_url,
            summary=f"{what}无法打开（{failure}）：{first.anchor or url}{where}",
            evidence={
                "page": first.page_url,
                "pages": pages[:PAGES_LISTED],
                "page_count": len(pages),
                "link": url,
                "anchor": first.anchor,
                "kind": first.kind,
                "off_site": _host(url) != _host(first.page_url),
                "failure": failure,
                "status": check.status,
                "error": check.error,
                "checked_at": check.checked_at.isoformat(),
            },
        )


class HomepageBrokenLinks(_BrokenLinks):
    """首页链接不可用: each broken link on the homepage deducts 1 point."""

    name = "homepage_broken_links"
    title = "首页链接不可用"
    on_homepage = True
    defaults: ClassVar[dict[str, float]] = {"deduct_each": 1.0, "deduct_max": 5.0, "max_check_age_days": 2}


class PageBrokenLinks(_BrokenLinks):
    """其他页面链接不可用: each broken link on other pages deducts 0.1 point."""

    name = "broken_links"
    title = "其他页面链接不可用"
    on_homepage = False
    defaults: ClassVar[dict[str, float]] = {"deduct_each": 0.1, "deduct_max": 5.0, "max_check_age_days": 2}


LINK_RULES = frozenset({HomepageBrokenLinks.name, PageBrokenLinks.name})
PUBLIC_LINK_EVIDENCE = ("page", "pages", "page_count", "link", "anchor", "kind", "off_site", "failure", "checked_at")
PAGES_LISTED = 20  # pages named in one link finding; page_count says how many there are
NETWORK_DOWN = "network unreachable"
# The causes scrapers.causes names after `connect_error: ` / `robots_unavailable: ` (robots.txt failed the same way).
CAUSES = {
    "dns": "DNS",
    "refused": "refused",
    "unreachable": "unreachable",
    "timeout": "timeout",
    "tls": "TLS",
    "reset": "connection reset",
    "connect": "connection failed",
}
# Failures where nothing answered: when every off-site link fails so, the checker's network is down.
NETWORK_FAILURES = frozenset({"DNS", "refused", "unreachable", "timeout", "connection reset", "connection failed"})
# What a link check's error code says to anyone; the detail after the code (addresses, exceptions) is for admins.
FAILURES = {
    "timeout": "timeout",
    "too_slow": "too slow",
    "connect_error": "connection failed",
    "bad_response": "bad response",
    "bad_redirect": "bad redirect",
    "redirect_loop": "redirect loop",
    "too_many_redirects": "too many redirects",
    "invalid_url": "invalid URL",
    "robots_unavailable": "robots.txt unavailable",
}


def failure_class(status: int | None, error: str | None) -> str:
    """The class of a failed link check, safe to show anyone: "HTTP 404", "DNS", "timeout", "TLS",
    "refused: private address", "network unreachable"."""
    code, _, detail = (error or "").partition(": ")
    if code == "network_unreachable":
        return NETWORK_DOWN
    if code == "refused_address":
        return f"refused: {detail.split(':', 1)[0] or 'non-public'} address"
    if code in ("connect_error", "robots_unavailable"):
        cause = detail.split(": ", 1)[0]
        if cause in CAUSES:
            return CAUSES[cause]
        if code == "robots_unavailable" and cause.startswith("HTTP "):
            return f"{cause} (robots.txt)"
    if code in FAILURES:
        return FAILURES[code]
    return f"HTTP {status}" if status else "failed"


def public_evidence(rule: str, evidence: dict[str, Any]) -> dict[str, Any]:
    """A finding's evidence as anonymous callers see it: link checks give the class of failure, not its detail."""
    if rule not in LINK_RULES:
        return evidence
    shown = {k: evidence[k] for k in PUBLIC_LINK_EVIDENCE if k in evidence}
    shown.setdefault("failure", failure_class(evidence.get("status"), evidence.get("error")))
    if evidence.get("off_site") is False:  # the site's own link: its HTTP status is the site's business
        shown["status"] = evidence.get("status")
    return shown


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return url

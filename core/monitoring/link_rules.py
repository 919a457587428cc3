"""The link rules (首页链接不可用, 其他页面链接不可用) and what a failed link check is called, to admins and anyone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from core.monitoring.models import Draft, LinkCheck, LinkFact, RuleResult, SiteFacts
from core.monitoring.rules import Rule


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

"""Link-check findings: anonymous callers see the class of a failure; the detail (addresses, errors) is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.monitoring.link_rules import failure_class, public_evidence
from core.monitoring.models import LinkCheck, LinkFact, SiteFacts
from core.monitoring.thresholds import RULES_BY_NAME

NOW = datetime(2024, 7, 1, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (404, "bad_status", "HTTP 404"),
        (None, "refused_address: private: 10.0.0.5 (evil.example:6379)", "refused: private address"),
        (302, "refused_address: metadata: 169.254.169.254 (169.254.169.254:80)", "refused: metadata address"),
        (None, "timeout: no complete response within 20.0s", "timeout"),
        (None, "connect_error: ClientConnectorError(ConnectionKey(host='10.0.0.5', port=6379))", "connection failed"),
        (500, None, "HTTP 500"),
        (None, None, "failed"),
    ],
)
def test_failure_classes(status: int | None, error: str | None, expected: str) -> None:
    assert failure_class(status, error) == expected


def _finding(url: str, status: int | None, error: str) -> dict:  # type: ignore[type-arg]
    check = LinkCheck(url=url, ok=False, status=status, error=error, elapsed_ms=3, checked_at=NOW)
    fact = LinkFact(page_url="http://s/p.html", url=url, anchor="链接", kind="link", on_homepage=False, check=check)
    facts = SiteFacts(site_id="s", site_name="示范", homepage_url="http://s/", links=[fact])
    rule = RULES_BY_NAME["broken_links"]
    [draft] = rule.evaluate(facts, rule.settings({}), NOW).findings
    assert "10.0.0.5" not in draft.summary and "6379" not in draft.summary.split("：")[0]
    return draft.evidence


def test_off_site_evidence_shows_only_the_class_and_keeps_the_detail_for_admins() -> None:
    stored = _finding("http://evil.example:6379/", None, "refused_address: private: 10.0.0.5 (evil.example:6379)")
    assert stored["error"].endswith("10.0.0.5 (evil.example:6379)") and stored["off_site"] is True
    shown = public_evidence("broken_links", stored)
    assert shown["failure"] == "refused: private address"
    assert "error" not in shown and "status" not in shown and "10.0.0.5" not in str(shown)
    own = public_evidence("broken_links", _finding("http://s/gone.html", 404, "bad_status"))
    assert own["status"] == 404 and own["failure"] == "HTTP 404", "the site's own link keeps its status"


def test_evidence_stored_before_classes_existed_is_redacted_too() -> None:
    old = {"page": "p", "link": "http://10.0.0.5/", "status": None, "error": "connect_error: ConnectionRefused(...)"}
    expected = {"page": "p", "link": "http://10.0.0.5/", "failure": "connection failed"}
    assert public_evidence("homepage_broken_links", old) == expected
    other = {"found": "不忘出心", "position": 3}
    assert public_evidence("wrong_expressions", other) is other


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (None, "connect_error: dns: ClientConnectorDNSError(ConnectionKey(host='www.gov.cn'))", "DNS"),
        (None, "robots_unavailable: dns: ClientConnectorDNSError(...)", "DNS"),
        (None, "connect_error: refused: ClientConnectorError(...)", "refused"),
        (None, "connect_error: tls: ClientConnectorCertificateError(...)", "TLS"),
        (None, "connect_error: unreachable: ClientConnectorError(...)", "unreachable"),
        (None, "connect_error: reset: ServerDisconnectedError()", "connection reset"),
        (None, "robots_unavailable: HTTP 503", "HTTP 503 (robots.txt)"),
        (None, "robots_unavailable: http://x/robots.txt", "robots.txt unavailable"),
        (None, "network_unreachable: connect_error: dns: ...", "network unreachable"),
        (410, "bad_status", "HTTP 410"),
    ],
)
def test_failures_are_labelled_by_their_cause(status: int | None, error: str, expected: str) -> None:
    assert failure_class(status, error) == expected


def _fact(page: str, url: str, *, home: bool = False, error: str = "bad_status", status: int | None = 404) -> LinkFact:
    check = LinkCheck(url=url, ok=False, status=status, error=error, elapsed_ms=3, checked_at=NOW)
    return LinkFact(page_url=page, url=url, anchor="锚", kind="link", on_homepage=home, check=check)


def test_a_link_on_many_pages_is_one_finding_listing_them() -> None:
    links = [_fact(f"http://s/p{i:02d}.html", "http://s/gone.html") for i in range(50)]
    links.append(_fact("http://s/", "http://s/gone-home.html", home=True))
    links.append(_fact("http://s/p01.html", "http://s/gone-home.html"))
    facts = SiteFacts(site_id="s", site_name="示范", homepage_url="http://s/", links=links)
    others = RULES_BY_NAME["broken_links"]
    [finding] = others.evaluate(facts, others.settings({}), NOW).findings
    assert finding.key == "http://s/gone.html" and finding.evidence["page_count"] == 50
    assert finding.evidence["pages"] == [f"http://s/p{i:02d}.html" for i in range(20)]
    assert "50 个页面" in finding.summary
    home = RULES_BY_NAME["homepage_broken_links"]
    [on_home] = home.evaluate(facts, home.settings({}), NOW).findings
    assert on_home.evidence["pages"] == ["http://s/", "http://s/p01.html"], "homepage first, counted once"
    shown = public_evidence("broken_links", finding.evidence)
    assert shown["page_count"] == 50 and len(shown["pages"]) == 20


def test_an_unreachable_network_is_not_a_broken_link() -> None:
    error = "network_unreachable: robots_unavailable: dns: ClientConnectorDNSError(...)"
    links = [_fact(f"http://s/p{i}.html", "https://www.gov.cn/", error=error, status=None) for i in range(30)]
    facts = SiteFacts(site_id="s", site_name="示范", homepage_url="http://s/", links=links)
    rule = RULES_BY_NAME["broken_links"]
    result = rule.evaluate(facts, rule.settings({}), NOW)
    assert not result.findings and result.keep == {"https://www.gov.cn/"} and result.deduction == 0
    assert "网络不通" in result.measured

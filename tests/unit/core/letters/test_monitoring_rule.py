"""The monitoring interaction rule on user-space letters: late replies and letters open past their deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.monitoring.models import Letter, RuleResult, SiteFacts
from core.monitoring.thresholds import RULES_BY_NAME

NOW = datetime(2024, 7, 1, 4, 0, tzinfo=UTC)
TODAY = date(2024, 7, 1)


def run(letters: list[Letter], **overrides: float) -> RuleResult:
    rule = RULES_BY_NAME["interaction_unanswered"]
    facts = SiteFacts(site_id="s", site_name="示范市", homepage_url=None, letters=letters)
    return rule.evaluate(facts, rule.settings(overrides), NOW)


def mine(n: int, asked: date, due: date, replied: date | None) -> Letter:
    return Letter(url="", title=f"来信{n}", column=None, asked=asked, replied=replied, due=due, letter_id=f"id-{n}")


def test_a_reply_after_the_deadline_is_flagged_and_deducts_without_veto() -> None:
    on_time = mine(1, TODAY - timedelta(days=20), TODAY - timedelta(days=10), TODAY - timedelta(days=10))
    late = mine(2, TODAY - timedelta(days=20), TODAY - timedelta(days=10), TODAY - timedelta(days=7))
    result = run([on_time, late])
    assert [f.key for f in result.findings] == ["letter:id-2#late"]
    f = result.findings[0]
    assert f.evidence["days_late"] == 3 and f.evidence["due"] == (TODAY - timedelta(days=10)).isoformat()
    assert "超过答复期限 3 天" in f.summary and not result.vetoed and result.deduction == 0.5


def test_a_letter_open_past_its_deadline_is_flagged_until_it_is_answered() -> None:
    open_late = mine(3, TODAY - timedelta(days=10), TODAY - timedelta(days=1), None)
    open_in_time = mine(4, TODAY - timedelta(days=2), TODAY + timedelta(days=3), None)
    result = run([open_late, open_in_time])
    assert [f.key for f in result.findings] == ["letter:id-3#late"]
    assert "仍未答复" in result.findings[0].summary


def test_three_months_unanswered_still_vetoes_and_is_listed_once() -> None:
    ancient = mine(5, TODAY - timedelta(days=100), TODAY - timedelta(days=80), None)
    result = run([ancient])
    assert result.vetoed and [f.key for f in result.findings] == ["letter:id-5"]


def test_deductions_are_capped() -> None:
    many = [mine(n, TODAY - timedelta(days=30), TODAY - timedelta(days=20), TODAY) for n in range(30)]
    assert run(many).deduction == 5.0 and len(run(many).findings) == 30
    assert run(many, late_deduct_max=2).deduction == 2.0


def test_crawled_letters_without_a_deadline_are_judged_as_before() -> None:
    crawled = Letter("http://s/l.html", "咨询", "互动", TODAY - timedelta(days=30), TODAY - timedelta(days=1))
    assert run([crawled]).findings == []

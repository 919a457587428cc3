"""The monitoring rule tv_commitment_overdue on hand-made facts: one finding per overdue commitment, deductions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.monitoring.models import OverdueCommitment, SiteFacts, TvCommitmentFacts
from core.monitoring.service import scorecard_of
from core.monitoring.thresholds import RULES_BY_NAME

NOW = datetime(2025, 7, 1, 4, 0, tzinfo=UTC)
RULE = RULES_BY_NAME["tv_commitment_overdue"]


def overdue(i: int, due: date) -> OverdueCommitment:
    return OverdueCommitment(
        id=f"c{i}",
        department="市交通局",
        content=f"新增{i}个公交站台",
        due_on=due,
        episode_title="第3期",
        programme="电视问政",
        aired_on=date(2025, 3, 20),
    )


def facts(tv: TvCommitmentFacts | None) -> SiteFacts:
    return SiteFacts(site_id="s", site_name="站点", homepage_url=None, tv_commitments=tv)


def test_each_overdue_commitment_is_a_finding_and_deducts() -> None:
    late = [overdue(i, date(2025, 6, 20 + i)) for i in range(3)]
    result = RULE.evaluate(facts(TvCommitmentFacts(total=5, overdue=late, overdue_total=3)), RULE.settings({}), NOW)
    assert [d.key for d in result.findings] == ["commitment:c0", "commitment:c1", "commitment:c2"]
    first = result.findings[0]
    assert first.evidence["days_overdue"] == 11 and first.evidence["due_on"] == "2025-06-20"
    assert "市交通局在《电视问政》（2025-03-20）承诺的事项逾期 11 天未办结" in first.summary
    assert result.deduction == 1.5 and not result.vetoed
    assert result.measured == "电视问政承诺事项 5 项，逾期未办结 3 项"
    card = scorecard_of("s", NOW, [result])
    assert card.score == 98.5 and card.passed


def test_a_site_without_commitments_is_not_judged_and_past_the_bound_nothing_closes() -> None:
    none = RULE.evaluate(facts(None), RULE.settings({}), NOW)
    assert not none.applies and scorecard_of("s", NOW, [none]).items == []
    bounded = TvCommitmentFacts(total=9, overdue=[overdue(1, date(2025, 6, 1))], overdue_total=4)
    result = RULE.evaluate(facts(bounded), RULE.settings({"deduct_max": 1.0}), NOW)
    assert result.keep_all and result.deduction == 0.5 and "本次判定前 1 项" in result.measured

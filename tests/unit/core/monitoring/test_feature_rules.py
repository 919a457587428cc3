"""The rules over other features' views on hand-made facts: open-data quality and disclosure freshness."""

from __future__ import annotations

from datetime import UTC, datetime

from core.monitoring.feature_facts import unit_code_of
from core.monitoring.models import (
    DataQualityFacts,
    DisclosureFacts,
    QualityProblem,
    RuleResult,
    SiteFacts,
    StaleCategory,
)
from core.monitoring.service import scorecard_of
from core.monitoring.thresholds import RULES_BY_NAME

NOW = datetime(2024, 7, 1, 4, 0, tzinfo=UTC)


def run(rule: str, facts: SiteFacts, **overrides: float) -> RuleResult:
    r = RULES_BY_NAME[rule]
    return r.evaluate(facts, r.settings(overrides), NOW)


def facts(**kw: object) -> SiteFacts:
    return SiteFacts(site_id="s", site_name="站点", homepage_url=None, **kw)  # type: ignore[arg-type]


def problem(i: int, kind: str = "missing") -> QualityProblem:
    return QualityProblem(
        dataset_id=f"d{i % 3}",
        dataset=f"ds-{i % 3}",
        department="stats",
        department_title="统计局",
        resource_id=f"r{i}",
        kind=kind,
        field="备注" if kind == "missing" else "",
        count=7,
        summary="备注 7 个空值",
        found_at=NOW,
    )


def test_each_quality_problem_is_a_finding_deducted_not_vetoed() -> None:
    result = run("opendata_quality", facts(data_quality=DataQualityFacts(problems=[problem(1)], total=1)))
    [f] = result.findings
    assert f.key == "d1/r1/missing/备注" and "「备注」缺失值" in f.summary
    assert not result.vetoed and result.deduction == 0.1 and not result.keep_all
    many = [problem(i, "duplicate") for i in range(80)]
    result = run("opendata_quality", facts(data_quality=DataQualityFacts(problems=many, total=80)))
    assert result.deduction == 5.0 and result.measured == "1 个部门 3 个数据集的质量问题 80 项"


def test_past_the_bound_no_quality_finding_closes() -> None:
    result = run("opendata_quality", facts(data_quality=DataQualityFacts(problems=[problem(1)], total=30_000)))
    assert result.keep_all and "本次判定前 1 项" in result.measured


def test_rules_not_for_a_site_are_left_off_its_scorecard() -> None:
    results = [run("opendata_quality", facts()), run("disclosure_stale", facts())]
    assert [r.applies for r in results] == [False, False] and scorecard_of("s", NOW, results).items == []


def stale(category: str, villages: int) -> StaleCategory:
    listed = [
        {"code": f"33060200120{i}", "name": f"村{i}", "last_published": None, "days_since": None}
        for i in range(min(villages, 20))
    ]
    return StaleCategory(category=category, max_days=31, villages=villages, listed=listed)


def test_a_township_counts_its_villages_per_category() -> None:
    d = DisclosureFacts(code="330602001000", level="乡镇街道", categories={"财务": 31}, stale=[stale("财务", 25)])
    result = run("disclosure_stale", facts(disclosure=d))
    [f] = result.findings
    assert f.key == "category:财务" and f.evidence["villages"] == 25 and len(f.evidence["listed"]) == 20
    assert f.summary.startswith(
        "本乡镇（街道）25 个村（社区）「财务」超过 31 天未更新：村0、村1、村2、村3、村4等 25 个"
    )
    assert not result.vetoed and result.deduction == 1.0


def test_a_bad_setting_keeps_every_open_finding() -> None:
    d = DisclosureFacts(code="330602001201", level="村社区", categories={}, stale=[], error="财务=abc")
    result = run("disclosure_stale", facts(disclosure=d))
    assert result.keep_all and result.findings == [] and "未判定" in result.measured


def test_unit_sites_by_their_code() -> None:
    assert unit_code_of("unit-330602001201") == "330602001201"
    assert unit_code_of("unit-330000000000") is None  # a province is no unit
    assert unit_code_of("unit-3306") is None and unit_code_of("opendata") is None

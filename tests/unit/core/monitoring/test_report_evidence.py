"""The inspection report shows each finding's evidence readably: Chinese labels, dates, the department first for a
电视问政 commitment, never a raw dict, for every rule."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from core.monitoring.inventory import SiteInventory
from core.monitoring.models import Draft, Finding, OverdueCommitment, SiteFacts, TvCommitmentFacts
from core.monitoring.report import ReportData, render_report
from core.monitoring.thresholds import RULES, RULES_BY_NAME

NOW = datetime(2025, 7, 1, 4, 0, tzinfo=UTC)


def stored(rule: str, draft: Draft) -> Finding:
    """A draft as the store keeps it (evidence through JSON) and reads it back."""
    return Finding(
        id=f"f-{rule}",
        site_id="s",
        rule=rule,
        key=draft.key,
        state="open",
        summary=draft.summary,
        url=draft.url,
        column=draft.column,
        evidence=json.loads(json.dumps(draft.evidence, ensure_ascii=False)),
        first_seen=NOW,
        last_seen=NOW,
        closed_at=None,
    )


def report(findings: list[Finding]) -> HTMLParser:
    inventory = SiteInventory(
        site_id="s",
        site_name="示范区",
        level="区县",
        department=None,
        documents=0,
        by_kind={},
        columns=[],
        last_published=None,
        updates_last_30_days=0,
        open_findings=len(findings),
    )
    data = ReportData(
        site_name="示范区", scorecard=None, findings=findings, trend=[], inventory=inventory, generated_at=NOW
    )
    return HTMLParser(render_report(data))


def evidence_cell(page: HTMLParser, summary: str) -> Node:
    for row in page.css("tr"):
        cells = row.css("td")
        if cells and cells[0].text() == summary:
            return cells[2]
    raise AssertionError(f"no finding row {summary!r}")


def test_an_overdue_tv_commitment_shows_who_what_and_when_under_chinese_labels() -> None:
    rule = RULES_BY_NAME["tv_commitment_overdue"]
    late = OverdueCommitment(
        id="c1",
        department="市交通局",
        content="新增公交站台<3个>",
        due_on=date(2025, 6, 20),
        episode_title="第3期",
        programme="电视问政",
        aired_on=date(2025, 3, 20),
    )
    tv = TvCommitmentFacts(total=4, overdue=[late], overdue_total=1)
    facts = SiteFacts(site_id="s", site_name="示范区", homepage_url=None, tv_commitments=tv)
    [draft] = rule.evaluate(facts, rule.settings({}), NOW).findings
    cell = evidence_cell(report([stored(rule.name, draft)]), draft.summary)
    lines = [li.text() for li in cell.css("ul.ev li")]
    assert lines == [
        "责任单位：市交通局",
        "承诺内容：新增公交站台<3个>",
        "办结期限：2025-06-20",
        "逾期：11 天",
        "节目：电视问政",
        "期次：第3期",
        "播出日期：2025-03-20",
        "承诺编号：c1",
    ]
    html = cell.html or ""
    assert "{" not in html and "department" not in html and "<3个>" not in html and "&lt;3个&gt;" in html


@pytest.mark.parametrize("rule", [r.name for r in RULES])
def test_no_rule_shows_its_evidence_as_a_raw_dict(rule: str) -> None:
    evidence = {"department": "市交通局", "listed": [{"name": "永安村", "last_published": None}], "off_site": True}
    draft = Draft(key="k", summary=f"{rule} 的问题", evidence=evidence)
    cell = evidence_cell(report([stored(rule, draft)]), draft.summary)
    html = cell.html or ""
    assert cell.text().strip() and "{'" not in html and "': " not in html, html


LETTER = {"page": None, "title": "路灯不亮", "asked": "2025-05-02"}


@pytest.mark.parametrize(
    ("evidence", "shown"),
    [
        ({**LETTER, "waiting_days": 95}, "留言时间 2025-05-02，已等待 95 天"),
        (  # the user space's deadline passed: the evidence has days_late, not waiting_days
            {**LETTER, "letter_id": "l1", "due": "2025-05-20", "replied": None, "days_late": 42},
            "留言时间 2025-05-02，答复期限 2025-05-20，仍未答复，超期 42 天",
        ),
        (
            {**LETTER, "letter_id": "l1", "due": "2025-05-20", "replied": "2025-05-23", "days_late": 3},
            "留言时间 2025-05-02，答复期限 2025-05-20，2025-05-23 答复，超期 3 天",
        ),
    ],
)
def test_a_letter_finding_reads_as_its_rule_wrote_it(evidence: dict[str, object], shown: str) -> None:
    draft = Draft(key="k", summary="留言「路灯不亮」", evidence=evidence)
    assert evidence_cell(report([stored("interaction_unanswered", draft)]), draft.summary).text() == shown


def test_values_of_a_rule_without_a_line_of_its_own_are_read_as_a_person_would() -> None:
    evidence = {
        "checked_at": "2025-06-30T20:00:00+00:00",
        "off_site": False,
        "listed": [{"name": "永安村", "last_published": None}],
        "ratio": 0.125,
        "newest_url": "https://www.example.gov.cn/a.html",
        "novel_key": "x",
    }
    draft = Draft(key="k", summary="承诺", evidence=evidence)
    cell = evidence_cell(report([stored("tv_commitment_overdue", draft)]), "承诺")
    assert [li.text() for li in cell.css("ul.ev li")] == [
        "检查时间：2025-07-01 04:00",  # Beijing time
        "外部链接：否",
        "名单：（名称：永安村，最近更新：—）",
        "失败比例：12.5%",
        "最新页面：https://www.example.gov.cn/a.html",
        "novel_key：x",
    ]

"""电视问政 transcripts split into questions and answers, and commitments proposed from the answers."""

from __future__ import annotations

from datetime import date

import pytest

from core.engagement.commitments import department_of, due_date, propose
from core.engagement.transcript import is_asker, split_tv_transcript

TRANSCRIPT = """主持人：各位观众晚上好，欢迎收看《电视问政》。
记者：在青秀区某小区门口，路灯已经坏了三个月，居民夜间出行很不方便。
市民：我们反映了好多次，一直没有人来修。
主持人：请问市城管局，这个问题什么时候能解决？
市城管局局长李四：感谢市民的监督。
这个问题我们确实整改不及时。我们承诺在15个工作日内全部修复。
同时将在年底前完成全市路灯排查。
主持人：好，我们会持续关注。
市民代表王女士：公交站台太少，孩子上学要走很远。
市交通局局长张三：我们会认真研究。
市交通局副局长赵六：补充一点，我们将在6月30日前新增两个站台。
主持人：感谢各位，本期节目到此结束。
"""
AIRED = date(2025, 3, 20)


def test_the_host_citizens_and_reporters_ask_and_officials_answer() -> None:
    first, second = split_tv_transcript(TRANSCRIPT)
    assert first.asker == "主持人、记者、市民" and first.speaker == "市城管局局长李四"
    assert first.question.startswith("主持人：各位观众") and "市民：我们反映了好多次" in first.question
    assert first.answer.splitlines()[0] == "感谢市民的监督。" and "年底前" in first.answer
    assert second.asker == "主持人、市民代表王女士" and second.speaker == "市交通局局长张三"
    # A second answerer's words stay in the answer under their own label; the closing remark has no answer.
    assert second.answer.endswith("市交通局副局长赵六：补充一点，我们将在6月30日前新增两个站台。")
    assert [e.seq for e in (first, second)] == [1, 2]


@pytest.mark.parametrize(
    ("label", "asks"),
    [
        ("主持人", True),
        ("市民甲", True),
        ("南宁电视台记者", True),
        ("人大代表", True),
        ("市民政局局长", False),
        ("市交通局局长张三", False),
        ("答", False),
    ],
)
def test_who_asks(label: str, asks: bool) -> None:
    assert is_asker(label) is asks


def test_press_conference_form_is_split_as_the_policy_library_does() -> None:
    [only] = split_tv_transcript("问：今年的惠民措施有哪些？\n答：我们将推出十项措施。")
    assert (only.question, only.answer, only.seq) == ("今年的惠民措施有哪些？", "我们将推出十项措施。", 1)


def test_commitments_are_proposed_with_their_due_dates_and_departments() -> None:
    found = propose(split_tv_transcript(TRANSCRIPT), AIRED)
    assert [(p.exchange_seq, p.department, p.due_on) for p in found] == [
        (1, "市城管局", date(2025, 4, 11)),  # 15 working days after 3月20日 (a Thursday)
        (1, "市城管局", date(2025, 12, 31)),
        (2, "市交通局", date(2025, 6, 30)),
    ]
    assert found[0].content == "我们承诺在15个工作日内全部修复。"
    assert "认真研究" not in " ".join(p.content for p in found)  # neither a promise nor a deadline


@pytest.mark.parametrize(
    ("sentence", "due"),
    [
        ("6月30日前完成", date(2025, 6, 30)),
        ("2026年1月10日之前", date(2026, 1, 10)),
        ("3月1日前完工", date(2026, 3, 1)),  # already past this year: next year's
        ("九月底前", date(2025, 9, 30)),
        ("10月中旬前", date(2025, 10, 20)),
        ("三十日内", date(2025, 4, 19)),
        ("三个月内整改到位", date(2025, 6, 20)),
        ("两周内", date(2025, 4, 3)),
        ("半个月内", date(2025, 4, 4)),
        ("本月底前", date(2025, 3, 31)),
        ("下个月底前", date(2025, 4, 30)),
        ("明年底前", date(2026, 12, 31)),
        ("我们高度重视", None),
        ("13月1日前", None),
    ],
)
def test_due_dates_are_read_from_the_answer(sentence: str, due: date | None) -> None:
    assert due_date(sentence, AIRED) == due


def test_a_promise_without_a_date_is_proposed_without_one() -> None:
    [p] = propose(split_tv_transcript("主持人：什么时候修？\n市水务局局长：我们承诺尽快修好。"), AIRED)
    assert (p.department, p.due_on) == ("市水务局", None)


@pytest.mark.parametrize(
    ("speaker", "department"),
    [
        ("市交通局局长张三", "市交通局"),
        ("青秀区政府副区长王五", "青秀区政府"),
        ("南宁市公安局交警支队支队长", "南宁市公安局交警支队"),
        ("市城管局相关负责人", "市城管局"),
        ("张三", "张三"),
        (None, "待确认"),
    ],
)
def test_the_department_is_read_from_the_answerer(speaker: str | None, department: str) -> None:
    assert department_of(speaker) == department

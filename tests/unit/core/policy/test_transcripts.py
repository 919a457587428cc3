"""Transcripts split into question-and-answer pairs: 记者：/发言人： turns, 问：/答：, host remarks left out."""

from __future__ import annotations

from pathlib import Path

from core.policy.transcripts import is_transcript, split_transcript


def _mfa(corpus: Path, name: str) -> tuple[str, str]:
    raw = (corpus / "mfa-press-conference-qa-changwu" / "exports" / name).read_text(encoding="utf-8")
    title = raw.splitlines()[0].removeprefix("title:").strip()
    return title, raw.split("content:", 1)[1]


def test_a_regular_press_conference_gives_one_pair_per_reporter_question(corpus: Path) -> None:
    title, text = _mfa(corpus, "2022-01-04.txt")
    pairs = split_transcript(text)
    asked = sum(1 for line in text.splitlines() if "记者：" in line[:30])
    assert is_transcript(title, text) and len(pairs) == asked == 10
    assert pairs[0].speaker == "汪文斌" and pairs[0].question.startswith("我们注意到习近平主席发表的")
    assert pairs[0].answer.startswith("我和大家一样") and "记者：" not in pairs[0].answer
    assert "《区域全面经济伙伴关系协定》" in pairs[3].question


def test_question_and_answer_markers(corpus: Path) -> None:
    _, text = _mfa(corpus, "2022-01-01.txt")
    [pair] = split_transcript(text)
    assert pair.question.endswith("发言人能否介绍有关情况？") and pair.answer.startswith("当地时间12月31日")


def test_host_remarks_and_opening_statements_are_not_pairs() -> None:
    text = "\n".join([
        "主持人：各位记者朋友，大家上午好。今天我们邀请到市人社局局长张明介绍稳就业政策。",
        "张明：今年以来，我市出台了一系列稳就业政策……",
        "主持人：下面请大家提问。",
        "新华社记者：失业保险稳岗返还的标准是多少？",
        "张明：",
        "大型企业按企业及其职工上年度实际缴纳失业保险费的30%返还，中小微企业按60%返还。",
        "主持人：今天的发布会到此结束。谢谢大家。",
    ])  # fmt: skip
    pairs = split_transcript(text)
    assert [(p.question, p.speaker) for p in pairs] == [("失业保险稳岗返还的标准是多少？", "张明")]
    assert pairs[0].answer.startswith("大型企业") and "发布会到此结束" not in pairs[0].answer


def test_an_ordinary_interpretation_is_not_a_transcript() -> None:
    assert not is_transcript("关于《示范市门诊共济保障工作方案》的解读", "一、出台背景\n文件提出……")

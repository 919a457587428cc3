"""Import lines: validation reasons a user reads, and what is derived from the text when a field is missing."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.documents.import_records import LEAD_LINE_CHARS, lead_lines, parse_record
from core.errors import Invalid


def line(**fields: object) -> str:
    base: dict[str, object] = {"url": "https://www.example.gov.cn/a.html", "title": "标题", "text": "正文"}
    return json.dumps(base | fields, ensure_ascii=False)


def reason(raw: str, *, max_text_chars: int = 1000) -> str:
    with pytest.raises(Invalid) as err:
        parse_record(raw, 1, max_text_chars=max_text_chars)
    return err.value.message


def test_policy_fields_are_derived_from_title_and_first_lines() -> None:
    text = "国务院办公厅\n国办发〔2017〕47号\n发布日期：2017年5月21日\n各省、自治区、直辖市人民政府……"
    rec = parse_record(line(title="国务院办公厅关于推进医疗联合体建设的指导意见", text=text), 3, max_text_chars=1000)
    assert rec.kind == "policy"
    assert rec.meta["doc_no"] == "国办发〔2017〕47号" and rec.meta["doc_no_normalized"] == "国办发〔2017〕47号"
    assert rec.published_at == date(2017, 5, 21)
    assert rec.line == 3


def test_a_text_without_line_breaks_is_read_for_its_head_only() -> None:
    # one long line is not scanned whole for a 文号 or a date (that was most of an import's time)
    text = "发布日期：2017年5月21日 各省、自治区、直辖市人民政府：" + "现通知如下。" * 400 + "粤府〔2020〕1号"
    assert [len(x) for x in lead_lines(text)] == [LEAD_LINE_CHARS]
    rec = parse_record(line(title="工作通知", text=text), 1, max_text_chars=5000)
    assert rec.published_at == date(2017, 5, 21) and "doc_no" not in rec.meta


def test_doc_no_in_the_title_in_any_form_is_normalised() -> None:
    rec = parse_record(line(title="关于印发某某办法的通知（晋政发[2014]16号）"), 1, max_text_chars=1000)
    assert rec.meta["doc_no_normalized"] == "晋政发〔2014〕16号" and rec.kind == "policy"


def test_an_interpretation_does_not_take_the_doc_no_it_explains() -> None:
    rec = parse_record(line(title="《国办发〔2017〕47号》政策解读"), 1, max_text_chars=1000)
    assert rec.kind == "interpretation" and "doc_no" not in rec.meta


def test_a_doc_no_cited_inside_a_sentence_is_not_the_documents_own() -> None:
    text = "为贯彻落实《国务院办公厅关于推进医疗联合体建设的指导意见》（国办发〔2017〕47号）精神，现通知如下。"
    rec = parse_record(line(title="市卫健委工作动态", text=text), 1, max_text_chars=1000)
    assert "doc_no" not in rec.meta and rec.kind == "page"


def test_service_guides_and_given_values_win() -> None:
    assert parse_record(line(title="居民身份证补领办事指南"), 1, max_text_chars=1000).kind == "service"
    rec = parse_record(
        line(kind="news", doc_no="国办发 2017 47", published_at="2020/3/4", theme="卫生、体育", audience=["个人"]),
        1,
        max_text_chars=1000,
    )
    assert rec.kind == "news" and rec.published_at == date(2020, 3, 4)
    assert rec.meta["doc_no"] == "国办发 2017 47" and rec.meta["doc_no_normalized"] == "国办发〔2017〕47号"
    assert rec.meta["theme"] == ["卫生", "体育"] and rec.meta["audience"] == ["个人"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"url": ', "bad JSON: Expecting value: line 1 column 9 (char 8)"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"title": "t", "text": "x"}), "missing url"),
        (json.dumps({"url": "https://a.gov.cn/", "text": "x"}), "missing title"),
        (json.dumps({"url": "https://a.gov.cn/", "title": "t", "text": "  "}), "missing text"),
        (line(url="ftp://a.gov.cn/x"), "url is not http(s): ftp://a.gov.cn/x"),
        (line(title=7), "title must be a string"),
        (
            line(kind="blog"),
            "unknown kind 'blog' (one of policy, interpretation, news, notice, service, qa, dataset, newmedia, page)",
        ),
        (line(published_at="去年"), "published_at is not a date: '去年'"),
        (line(level="省会"), "unknown level '省会' (one of 国家, 省, 市, 区县, 部门, 乡镇街道, 村社区)"),
        (line(theme=[1]), "theme must be a string or a list of strings"),
        (line(text="字" * 1001), "text too long: 1001 characters (at most 1000)"),
    ],
)
def test_bad_lines_are_rejected_with_a_reason(raw: str, expected: str) -> None:
    assert reason(raw) == expected


def test_the_site_is_checked_by_the_one_site_id_rule() -> None:
    assert reason(line(site="Bad_Site")) == "unknown site 'Bad_Site'"
    assert reason(line(site="a\nb")) == "unknown site 'a\\nb'"
    # Every text field is stripped first, so a trailing newline is whitespace, not part of the id.
    assert parse_record(line(site="abc\n"), 1, max_text_chars=100).site == "abc"

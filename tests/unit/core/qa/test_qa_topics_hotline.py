"""Topics of pairs and paging through one; 12345 hotline rows from JSON, JSONL and CSV, malformed ones named."""

from __future__ import annotations

import json

import pytest

from core.errors import Invalid, NotFound
from core.qa.hotline import pair_of_row, parse_rows
from core.qa.models import QaPair
from core.qa.topics import TopicIndex, topic_of


def pair(id: str, question: str, answer: str = "答复。", tags: tuple[str, ...] = ()) -> QaPair:
    return QaPair(id=id, question=question, answer=answer, tags=tags)


def test_a_pair_gets_its_tagged_topic_else_one_derived_from_its_words() -> None:
    assert topic_of(pair("a", "失业保险金在哪里申领？")).id == "social-security"
    assert topic_of(pair("b", "住房公积金怎么提取？")).id == "housing"
    assert topic_of(pair("c", "身份证丢了怎么补办？")).name == "户籍证件"
    assert topic_of(pair("d", "这个怎么办？", "请携带营业执照到窗口办理。")).id == "enterprise"  # from the answer
    assert topic_of(pair("e", "住房公积金怎么提取？", tags=("教育",))).id == "education"  # a tag naming a topic wins
    assert topic_of(pair("f", "你们几点上班？")).id == "other"


def test_pages_of_a_topic_follow_the_cursor_without_gaps_or_repeats() -> None:
    index = TopicIndex()
    pairs = [pair(f"p{i:02d}", f"养老保险问题{i}") for i in range(7)] + [pair("x", "住房公积金问题")]
    index.rebuild(pairs, version=3)
    counts = {t.id: n for t, n in index.counts()}
    assert counts["social-security"] == 7 and counts["housing"] == 1 and counts["transport"] == 0
    seen, after = [], None
    while True:
        page = index.page("社会保障", first=3, after=after)  # the name works as well as the id
        seen += [p.id for p in page.items]
        assert page.total == 7
        if not page.has_next:
            break
        after = page.end_cursor
    assert seen == sorted(p.id for p in pairs[:7])
    assert index.page("transport", first=5, after=None).items == []
    with pytest.raises(NotFound, match="no Q&A topic"):
        index.page("no-such-topic", first=5, after=None)
    with pytest.raises(Invalid, match="not a cursor"):
        index.page("housing", first=5, after="!!!")
    social = index.page("social-security", first=1, after=None).end_cursor  # one topic's cursor is no place in another
    with pytest.raises(Invalid, match=r"cursor of qaPairs\(topic: social-security\), not of qaPairs\(topic: housing"):
        index.page("housing", first=5, after=social)


def test_hotline_rows_are_read_from_json_jsonl_and_csv() -> None:
    rows = [{"id": "1", "question": "公积金怎么提取？", "answer": "到中心办理。", "category": "住房"}]
    as_array = parse_rows(json.dumps(rows, ensure_ascii=False).encode())
    as_items = parse_rows(json.dumps({"items": rows}, ensure_ascii=False).encode())
    as_lines = parse_rows(b"\n".join(json.dumps(r, ensure_ascii=False).encode() for r in rows))
    as_csv = parse_rows("\ufeffid,question,answer,category\n1,公积金怎么提取？,到中心办理。,住房\n".encode())
    for parsed in (as_array, as_items, as_lines, as_csv):
        got = pair_of_row(parsed[0][1])  # type: ignore[arg-type]
        assert (got.id, got.tags, got.source, got.basis.kind) == ("hotline-1", ("住房",), "hotline", "faq")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"question": "问？", "answer": "答。"}, "id must be"),
        ({"id": "has space", "question": "问？", "answer": "答。"}, "id must be"),
        ({"id": "2", "question": "", "answer": "答。"}, "question must be"),
        ({"id": "3", "question": "问？", "answer": "  "}, "answer must be"),
        ({"id": "4", "question": "问？", "answer": "答。", "url": "ftp://x"}, "basis URL"),
    ],
)
def test_malformed_rows_say_what_is_wrong(row: dict[str, str], reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        pair_of_row(row)


def test_unreadable_rows_are_reported_per_row() -> None:
    rows = parse_rows(b'[{"id": "1", "question": "q", "answer": "a"}, 5]')
    assert isinstance(rows[1][1], Invalid) and rows[1][0] == 2
    lines = parse_rows(b'{"id": "1", "question": "q", "answer": "a"}\nnot json\n')
    assert isinstance(lines[1][1], Invalid)
    with pytest.raises(Invalid, match="JSON array"):
        parse_rows(b"[{broken")

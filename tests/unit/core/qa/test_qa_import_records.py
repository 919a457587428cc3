"""Reading a Q&A import file (core.qa.importer.records): JSONL or CSV/TSV, in UTF-8 or GBK as offices save them;
a line in neither encoding is reported with its number and the rest is read."""

from __future__ import annotations

import json

from core.errors import Invalid
from core.qa.importer import records
from core.textzh.charsets import UNREADABLE


def lines(text: bytes) -> list[bytes]:
    return text.splitlines(keepends=True)


def test_a_gbk_csv_reads_like_its_utf8_twin() -> None:
    text = "id,question,answer\nq1,社保卡怎么办理？,带身份证到网点办理。\nq2,医保卡怎么办？,到医保局办理。\n"
    assert list(records(lines(text.encode("gbk")))) == list(records(lines(text.encode("utf-8-sig"))))
    assert [(n, r["question"]) for n, r in records(lines(text.encode("gbk")))] == [
        (2, "社保卡怎么办理？"),
        (3, "医保卡怎么办？"),
    ]


def test_an_unreadable_line_is_reported_by_number_and_the_rest_is_read() -> None:
    head = 'id,question,answer\nq1,问题一,答案一\nq2,"跨两行\n的问题",答案二\n'.encode("gbk")
    data = head + b"q3,\xff\xff\xff,x\n" + "q4,问题四,答案四\n".encode("gbk")
    got = list(records(lines(data)))
    assert [n for n, _ in got] == [2, 4, 5, 6]  # a record's number is the line it ends on
    assert isinstance(got[2][1], Invalid) and got[2][1].message == UNREADABLE
    assert [r["id"] for _, r in got if isinstance(r, dict)] == ["q1", "q2", "q4"]


def test_jsonl_in_either_encoding_with_an_unreadable_line() -> None:
    one = json.dumps({"id": "j1", "question": "居住证怎么办理？", "answer": "到派出所办理。"}, ensure_ascii=False)
    two = json.dumps({"id": "j2", "question": "护照怎么办？", "answer": "到出入境办理。"}, ensure_ascii=False)
    data = one.encode("utf-8") + b"\n\xff\xfe\n" + two.encode("gb18030") + b"\n"
    got = list(records(lines(data)))
    assert [(n, r["id"] if isinstance(r, dict) else r.message) for n, r in got] == [
        (1, "j1"),
        (2, UNREADABLE),
        (3, "j2"),
    ]

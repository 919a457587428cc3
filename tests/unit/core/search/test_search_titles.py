"""Document suggestions: titles found by the start of a word in hanzi, pinyin or initials, grouped and capped."""

from __future__ import annotations

from datetime import date

import pytest

from core.search import titles
from core.search.titles import TitleDoc, TitleIndex, grouped


def doc(n: int, title: str, kind: str, year: int = 2024) -> TitleDoc:
    return TitleDoc(
        id=f"d{n}",
        title=title,
        url=f"http://x.invalid/{n}",
        site="s",
        kind=kind,
        column="通知公告",
        published_at=date(year, 1, 1),
    )


DOCS = [
    doc(1, "广州市社会保障卡申领指南", "service"),
    doc(2, "社会保障卡政策解读", "interpretation"),
    doc(3, "关于调整社会保障卡服务的通知", "policy", 2023),
    doc(4, "社会保险费缴纳办法", "policy", 2022),
    doc(5, "住房公积金提取办事指南", "service"),
    doc(6, "市政府召开常务会议", "news"),
    doc(7, "社会保障卡年度数据", "dataset"),
    doc(8, "关于社会组织年检的公告", "page"),
]


def found(index: TitleIndex, prefix: str, per_group: int = 3) -> dict[str, list[str]]:
    return {key: [d.title for d in docs] for key, _, docs in grouped(index.find(prefix, per_group), per_group)}


def test_a_prefix_finds_titles_starting_with_it_or_holding_a_word_that_does() -> None:
    index = TitleIndex(DOCS)
    out = found(index, "社会保障")
    assert out["interpretation"] == ["社会保障卡政策解读"] and out["policy"] == ["关于调整社会保障卡服务的通知"]
    assert out["service"] == ["广州市社会保障卡申领指南"] and out["dataset"] == ["社会保障卡年度数据"]
    assert "news" not in out
    assert found(index, "公积金") == {"service": ["住房公积金提取办事指南"]}
    assert found(index, "保障卡") == {}, "only where a word starts, not anywhere inside one"


def test_pinyin_and_initials_find_the_same_titles() -> None:
    index = TitleIndex(DOCS)
    assert found(index, "shehuibaozhang") == found(index, "社会保障")
    assert found(index, "SheHui Bao") == found(index, "社会保")  # case and spaces do not matter
    assert found(index, "zfgjj") == {"service": ["住房公积金提取办事指南"]}


def test_groups_come_in_order_with_title_starts_first_and_a_cap() -> None:
    index = TitleIndex(DOCS)
    groups = grouped(index.find("社会", 1), 1)
    assert [key for key, _, _ in groups] == ["service", "policy", "interpretation", "dataset", "other"]
    assert [name for _, name, _ in groups][-1] == "其他"
    assert all(len(docs) == 1 for _, _, docs in groups)
    # the title that starts with the prefix beats a newer one that holds it further on
    assert groups[1][2][0].title == "社会保险费缴纳办法"


def test_masked_documents_are_left_out_and_empty_input_finds_nothing() -> None:
    index = TitleIndex(DOCS)
    assert "interpretation" not in {k for k, _, _ in grouped(index.find("社会保障", 3, skip={"d2"}), 3)}
    assert index.find("", 3) == [] and TitleIndex([]).find("社", 3) == []


def test_prefixes_matching_many_keys_answer_from_lists_built_with_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    many = [doc(100 + i, f"社会保障第{i}号通告", "notice", 2000 + i % 20) for i in range(40)] + DOCS
    prefixes = ("社", "社会", "社会保障", "sh", "shehui", "s", "shbz")
    scanned = TitleIndex(many)
    expected = {p: found(scanned, p, 4) for p in prefixes}
    monkeypatch.setattr(titles, "SCAN_ROWS", 5)  # every short prefix becomes one answered from its list
    monkeypatch.setattr(titles, "SORT_CHUNK", 7)  # and the keys are sorted in chunks, then merged
    listed = TitleIndex(many)
    assert {p: found(listed, p, 4) for p in prefixes} == expected
    assert found(listed, "社会", 4)["news"] == [f"社会保障第{i}号通告" for i in (19, 39, 18, 38)]

"""SynonymTable: colloquial queries get official phrasings; the table is editable and round-trips as rows."""

from __future__ import annotations

import pytest

from core.textzh import SynonymTable, get_analyzer


@pytest.fixture(scope="module")
def table() -> SynonymTable:
    return SynonymTable.default()


def test_bundled_table_is_big_enough(table: SynonymTable) -> None:
    assert len(table) >= 150


@pytest.mark.parametrize(
    ("query", "official"),
    [
        ("身份证丢了怎么办", "居民身份证补领怎么办"),
        ("社保卡补办", "社会保障卡补领"),
        ("退休金怎么领", "养老金怎么领"),
        ("我想开公司", "我想企业开办"),
        ("小孩上学", "义务教育入学"),
        ("户口迁走", "户口迁出"),
        ("公積金提取", "住房公积金提取"),
    ],
)
def test_rewrite(table: SynonymTable, query: str, official: str) -> None:
    assert table.rewrite(query)[0] == official


def test_every_official_alternative_is_offered(table: SynonymTable) -> None:
    assert table.rewrite("退休金怎么领") == ["养老金怎么领", "基本养老保险怎么领"]
    assert "我想营业执照" in table.rewrite("我想开公司")


def test_official_wording_is_left_alone(table: SynonymTable) -> None:
    assert table.rewrite("营业执照办理") == []
    assert table.rewrite("住房公积金提取") == []
    assert table.rewrite("居民身份证补领") == []


def test_expand_works_on_query_terms(table: SynonymTable) -> None:
    terms = get_analyzer().query_terms("身份证丢了怎么办")
    rewrites = table.expand(terms)
    assert [(r.source, r.target) for r in rewrites] == [("身份证丢了", "居民身份证补领")]
    assert (rewrites[0].start, rewrites[0].end) == (0, 2)
    assert [r.target for r in table.expand(["公积金", "贷款"])] == ["住房公积金贷款"]


def test_runtime_edits_and_rows_round_trip() -> None:
    table = SynonymTable([("社保", "社会保险")])
    table.add("穗康", "穗康码")
    table.add("社保", "社会保险")  # idempotent
    assert table.rows() == [("社保", "社会保险"), ("穗康", "穗康码")]
    assert table.rewrite("穗康怎么申请") == ["穗康码怎么申请"]
    table.remove("社保")
    assert table.rewrite("社保") == []
    copy = SynonymTable(table.rows())
    assert copy.rows() == table.rows()
    copy.remove("穗康", "穗康码")
    assert len(copy) == 0

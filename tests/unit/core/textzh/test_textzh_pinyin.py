"""PinyinIndex: full pinyin, initials and mixed queries become hanzi terms of the vocabulary."""

from __future__ import annotations

from collections import Counter

import pytest

from core.textzh import PinyinIndex, is_probably_pinyin


@pytest.fixture(scope="module")
def index(guide_vocabulary: Counter[str]) -> PinyinIndex:
    return PinyinIndex(guide_vocabulary)


def top(index: PinyinIndex, query: str, limit: int = 5) -> list[str]:
    return [text for text, _ in index.candidates(query, limit=limit)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gongjijin", "公积金"),
        ("shebao", "社保"),
        ("she bao", "社保"),
        ("社bao", "社保"),
        ("gongjijin贷款", "公积金贷款"),
        ("gongjijindaikuan", "公积金贷款"),
        ("yingyezhizhao", "营业执照"),
        ("shenfenzheng", "身份证"),
        ("yinhang", "银行"),
        ("sfz", "身份证"),
        ("yyzz", "营业执照"),
        ("bdcdj", "不动产登记"),
        ("zfgjj", "住房公积金"),
    ],
)
def test_best_candidate(index: PinyinIndex, query: str, expected: str) -> None:
    assert top(index, query)[0] == expected


def test_initials_rank_by_frequency_and_include_the_intended_term(index: PinyinIndex) -> None:
    assert "社保" in top(index, "sb")
    assert "公积金" in top(index, "gjj")
    scores = [score for _, score in index.candidates("sb")]
    assert scores == sorted(scores, reverse=True) and sum(scores) <= 1.0 + 1e-9


def test_every_candidate_reads_as_the_whole_query(index: PinyinIndex) -> None:
    from core.textzh.pinyin import reading

    for text, _ in index.candidates("shebao", limit=20):
        assert "".join(reading(text)) == "shebao"


def test_only_vocabulary_terms_qualify() -> None:
    small = PinyinIndex({"社保": 3, "社会保险": 5})
    assert small.candidates("shebao") == [("社保", 1.0)]
    assert small.candidates("gongjijin") == []
    assert small.candidates("shb") == [("社保", 1.0)]  # sh is an initial too
    assert small.candidates("sbx") == []


def test_a_syllable_never_spans_a_space() -> None:
    small = PinyinIndex({"西安": 5, "先": 9, "县城": 2})
    assert top(small, "xi an") == ["西安"]


@pytest.mark.parametrize("query", ["shebao", "she bao", "sb", "gjj", "社bao", "gongjijin贷款", "zfgjj"])
def test_pinyin_is_recognised(query: str) -> None:
    assert is_probably_pinyin(query)


@pytest.mark.parametrize("query", ["pdf", "PDF下载", "12345", "app", "社保", "hello", "bao", "ca证书", "wifi"])
def test_plain_text_is_not_pinyin(query: str) -> None:
    assert not is_probably_pinyin(query)


def test_a_query_that_is_a_vocabulary_term_is_not_rewritten() -> None:
    assert is_probably_pinyin("zfb")
    assert not PinyinIndex({"zfb": 4, "社保": 1}).is_probably_pinyin("zfb")

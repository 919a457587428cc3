"""Analyzer: government words stay whole, words inside compounds are found, queries match what was indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.textzh import Analyzer, get_analyzer


def finds(analyzer: Analyzer, document: str, query: str) -> bool:
    return set(analyzer.query_terms(query)) <= set(analyzer.index_terms(document))


def test_government_dictionary_keeps_terms_whole() -> None:
    tokens = get_analyzer().tokens("一网通办平台办理不动产登记和居民身份证")
    assert {"一网通办", "不动产登记", "居民身份证"} <= set(tokens)


def test_words_inside_a_long_compound_are_found() -> None:
    a = get_analyzer()
    for word in ("农业", "发展", "银行", "农业发展银行", "中国农业发展银行"):
        assert finds(a, "中国农业发展银行广州分行", word), word


def test_negated_compound_does_not_match_its_tail() -> None:
    assert not finds(get_analyzer(), "不动产登记中心", "动产")


def test_same_text_cut_differently_still_matches() -> None:
    a = get_analyzer()
    assert finds(a, "我要办理居民身份证补领", "居民身份证")
    assert finds(a, "养老金领取", "养老")


def test_unknown_words_fall_back_to_bigrams() -> None:
    a = get_analyzer()
    assert "穗康码" in a.index_terms("穗康码怎么申请")
    assert finds(a, "出示穗康码", "穗康码")


def test_terms_are_folded_and_stop_words_dropped() -> None:
    a = get_analyzer()
    assert finds(a, "社会保险", "社會保險")
    assert a.query_terms("请问怎么办理社保的？") == ["办理", "社保"]
    assert "pdf" in a.index_terms("下载ＰＤＦ表格")
    assert finds(a, "请拨打12345热线咨询", "12345")


def test_every_query_term_of_a_text_is_among_its_index_terms(guide_titles: list[str]) -> None:
    a = get_analyzer()
    assert all(finds(a, title, title) for title in guide_titles)


def test_admin_words_change_segmentation() -> None:
    a = Analyzer(extra_words=["穗好办"])
    assert "穗好办" in a.tokens("穗好办上线")
    a.add_words(["湾区通办"])
    assert a.is_known("湾区通办")
    assert "湾区通办" in a.tokens("推进湾区通办")
    assert not get_analyzer().is_known("湾区通办")


def test_get_analyzer_is_one_instance() -> None:
    assert get_analyzer() is get_analyzer()


@pytest.mark.corpus
def test_thuocl_compound_recall(corpus: Path) -> None:
    """Shorter legal terms inside longer ones are found (measured 97.5%; jieba search mode: 94.1%)."""
    lines = (corpus / "thuocl-lexicon" / "THUOCL_law.txt").read_text(encoding="utf-8").splitlines()
    law = [line.split("\t")[0] for line in lines if line]
    known = set(law)
    a = get_analyzer()
    total = found = 0
    for term in law[:3000]:
        if len(term) < 4:
            continue
        index = set(a.index_terms(term))
        subs = {term[i:j] for i in range(len(term)) for j in range(i + 2, len(term) + 1)} & known - {term}
        total += len(subs)
        found += sum(set(a.query_terms(sub)) <= index for sub in subs)
    assert total > 500
    assert found / total >= 0.95

"""Whole title phrases found by their initials or full pinyin, as a citizen types them."""

from __future__ import annotations

from core.textzh.analyzer import get_analyzer
from core.textzh.phrases import PhraseIndex

TITLES = [
    "广州市卫生健康委员会关于印发广州市长期护理保险试行办法的通知",
    "长期护理保险常见问题",
    "国务院关于河北雄安新区总体规划（2018—2035年）的批复",
    "号楼保险的遗嘱公证",
]
PHRASES = PhraseIndex.from_titles(TITLES, get_analyzer().tokens)


def test_initials_find_the_phrase_as_written_not_a_composition() -> None:
    assert PHRASES.lookup("cqhlbx", 5) == [("长期护理保险", 2.0)], "长 of 广州市长期 is chang, not the zhang of 市长"
    assert PHRASES.lookup("xaxq", 5) == [("雄安新区", 1.0)]
    assert PHRASES.lookup("hlbx", 5)[0] == ("护理保险", 2.0)


def test_full_pinyin_with_or_without_spaces_finds_the_phrase() -> None:
    assert PHRASES.lookup("changqi huli baoxian", 1) == [("长期护理保险", 2.0)]
    assert PHRASES.lookup("xionganxinqu", 1) == [("雄安新区", 1.0)]


def test_no_phrase_starts_or_ends_with_a_stop_word_and_only_whole_keys_match() -> None:
    assert PHRASES.lookup("dyz", 5) == [], "的遗嘱 is no phrase"
    assert PHRASES.lookup("cqhl", 5) == [("长期护理", 2.0)]
    assert PHRASES.lookup("cqh", 5) == [], "a prefix of initials is not a key"
    assert PHRASES.lookup("长期hlbx", 5) == []


def test_popular_queries_are_phrases_weighted_by_searches() -> None:
    queries = PhraseIndex.from_queries(
        [("社保", 30), ("社 保", 2), ("设备", 3), ("pdf", 99), ("社会保险费补缴政策咨询", 5)]
    )
    assert queries.lookup("sb", 5) == [("社保", 32.0), ("设备", 3.0)]
    assert len(queries) == 2, "Latin queries and queries over 8 hanzi are left out"

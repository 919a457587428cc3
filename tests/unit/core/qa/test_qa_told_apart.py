"""The second pass over the best few candidates (core.qa.readings.told_apart): rivals compared with one another."""

from __future__ import annotations

from core.qa.readings import _W_APART, told_apart

IDF = {c: 3.0 for c in "延期缴纳税款三个月最长"}
SHARE = {c: 0.05 for c in IDF}


def test_the_rival_holding_what_tells_them_apart_keeps_its_score() -> None:
    query = frozenset("延期缴纳最长")
    held = [frozenset("延期缴纳税款"), frozenset("延期缴纳税款最长三个月")]
    factors = told_apart(query, held, IDF, SHARE, mean_size=10)
    assert factors[1] == 1.0
    assert 1 - _W_APART <= factors[0] < 1.0


def test_rivals_that_hold_the_same_query_characters_are_left_alone() -> None:
    query = frozenset("延期缴纳")
    held = [frozenset("延期缴纳税款"), frozenset("延期缴纳三个月")]
    assert told_apart(query, held, IDF, SHARE, mean_size=10) == [1.0, 1.0]
    assert told_apart(query, [frozenset("延期")], IDF, SHARE, mean_size=10) == [1.0]
    assert told_apart(query, [], IDF, SHARE, mean_size=10) == []


def test_holding_a_common_character_by_being_long_counts_less_than_a_rare_one() -> None:
    # each rival holds one of the two query characters, of equal IDF; 长 is in most pairs and the second rival
    # is long, so it holds 长 largely by chance, while the short first rival holds the rare 税
    query = frozenset("长税")
    held = [frozenset("税款"), frozenset("延期缴纳最长三个月份以内")]
    factors = told_apart(query, held, {"长": 3.0, "税": 3.0}, {"长": 0.6, "税": 0.05}, mean_size=10)
    assert factors[0] == 1.0
    assert factors[1] < 1.0

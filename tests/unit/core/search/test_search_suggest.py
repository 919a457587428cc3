"""Completions by hanzi, pinyin and initials prefix; popular queries before index terms."""

from __future__ import annotations

from core.search.suggest import Completer
from core.search.understand import Lexicon

LEX = Lexicon([("社会保险", 40), ("社会保障卡", 30), ("社保", 50), ("身份证", 20), ("公积金", 10)])


def texts(completer: Completer, prefix: str) -> list[str]:
    return [s.text for s in completer.complete(prefix, 5)]


def test_hanzi_pinyin_and_initials_prefixes() -> None:
    c = Completer(LEX.readings, [])
    assert texts(c, "社会")[:2] == ["社会保险", "社会保障卡"]
    assert "社会保险" in texts(c, "shehui") and "社会保障卡" in texts(c, "shehuib")
    assert texts(c, "gjj") == ["公积金"]


def test_popular_queries_come_first_and_titles_fill_up() -> None:
    c = Completer(LEX.readings, [("社保卡补办", 3)])
    out = c.complete("社", 5, titles=["社会保障卡申领指南"])
    assert out[0].text == "社保卡补办" and out[0].source == "query"
    assert out[-1].source == "title"


def test_nothing_for_blank_or_unknown_prefixes() -> None:
    c = Completer(LEX.readings, [])
    assert c.complete("  ", 5) == [] and c.complete("zzzz", 5) == []

"""Highlighting marks every match in <em> and escapes everything else."""

from __future__ import annotations

from core.search.highlight import highlight_all, highlight_terms, snippet


def test_titles_are_escaped_and_marked() -> None:
    assert highlight_all("<农业> & 农村", ["农业", "农村"]) == "&lt;<em>农业</em>&gt; &amp; <em>农村</em>"


def test_the_longest_term_wins_where_terms_overlap() -> None:
    terms = highlight_terms(["农业", "农业发展银行"])
    assert highlight_all("中国农业发展银行", terms) == "中国<em>农业发展银行</em>"


def test_matching_ignores_case_and_full_width() -> None:
    assert highlight_all("ＧＤＰ增长", highlight_terms(["gdp"])) == "<em>ＧＤＰ</em>增长"


def test_snippets_center_on_matches_in_long_text() -> None:
    text = "无关内容。" * 100 + "这里讲农业补贴政策。" + "其他内容。" * 100
    out = snippet(text, ["农业"], size=40)
    assert out.startswith("…") and out.endswith("…")
    assert "<em>农业</em>" in out and len(out) < 80


def test_snippets_without_matches_show_the_start() -> None:
    assert snippet("短文本<i>", ["不存在"]) == "短文本&lt;i&gt;"
    assert snippet("甲" * 500, [], size=10) == "甲" * 10 + "…"


def test_regex_characters_in_terms_are_literal() -> None:
    assert highlight_all("a.b a*b (x)", ["a*b", "(x)"]) == "a.b <em>a*b</em> <em>(x)</em>"


def test_traditional_and_full_width_pages_are_marked_without_folding_them() -> None:
    assert highlight_all("辦理１２３４５熱線 ABC 臨時救助", highlight_terms(["12345", "临时救助"])) == (
        "辦理<em>１２３４５</em>熱線 ABC <em>臨時救助</em>"
    )
    assert "<em>臨時救助</em>實施細則" in snippet("臨時救助實施細則" * 40, ["临时救助"])

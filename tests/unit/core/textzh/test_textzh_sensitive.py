"""SensitiveFilter: listed words are found and masked whatever the script, width, case or filler."""

from __future__ import annotations

from core.textzh import Hit, SensitiveFilter


def test_default_list_finds_abuse() -> None:
    f = SensitiveFilter.default()
    assert f.find("这个狗官不作为") == [Hit("狗官", 2, 4)]
    assert f.mask("你是白痴吗") == "你是**吗"


def test_variants_and_filler_do_not_hide_a_word() -> None:
    f = SensitiveFilter(["敏感词"])
    assert f.find("一个敏 感*词") == [Hit("敏感词", 2, 7)]
    assert f.mask("一个敏 感*词。") == "一个*****。"
    assert f.find("敏感詞") == [Hit("敏感词", 0, 3)]
    assert SensitiveFilter(["badword"]).find("ＢＡＤＷＯＲＤ!") == [Hit("badword", 0, 7)]


def test_overlapping_words_are_all_reported() -> None:
    f = SensitiveFilter(["他妈的", "妈的"])
    assert f.find("他妈的") == [Hit("他妈的", 0, 3), Hit("妈的", 1, 3)]
    assert f.mask("他妈的") == "***"


def test_latin_words_match_whole_words_only() -> None:
    f = SensitiveFilter(["sb"])
    assert f.find("USB接口") == []
    assert f.find("SB政府") == [Hit("sb", 0, 2)]


def test_clean_government_text_has_no_hits() -> None:
    text = "办理居民身份证补领、社会保险缴费和住房公积金提取，请拨打12345热线。"
    assert SensitiveFilter.default().find(text) == []


def test_admins_edit_the_list() -> None:
    f = SensitiveFilter()
    assert f.find("测试违禁") == []
    f.add(["违禁"])
    assert f.find("测试违禁") == [Hit("违禁", 2, 4)]
    assert f.words() == ["违禁"]
    f.remove(["违禁"])
    assert f.find("测试违禁") == []


def test_a_word_inside_an_innocent_compound_is_no_hit() -> None:
    f = SensitiveFilter.default()
    assert f.find("医疗废物和废弃口罩怎么收集") == []
    assert f.find("固体 废物处置") == []
    assert f.find("你这个废物") == [Hit("废物", 3, 5)]
    assert SensitiveFilter(["废物"], allowed=["医疗废物"]).find("医疗废物，真是废物") == [Hit("废物", 7, 9)]

"""Query understanding on a small vocabulary: each rewrite kind, recorded so the API can say 已为您搜索…."""

from __future__ import annotations

from core.search.understand import Lexicon, find_doc_no, understand
from core.textzh.synonyms import SynonymTable

VOCAB = [("社保", 50), ("社会保障卡", 30), ("公积金", 40), ("家庭医生", 8), ("交通运输", 20), ("居民身份证补领", 5),
         ("社会保险", 40), ("申领", 30), ("提取", 25)]  # fmt: skip
LEX = Lexicon(VOCAB, doc_count=10)
SYN = SynonymTable.default()


def test_doc_no_in_any_form_becomes_a_doc_no_variant_first() -> None:
    for q in ["国办发〔2017〕47号", "国办发[2017]47号", "国办发(2017)47号", "国办发2017年47号", "国办发 2017 47",
              "国办发２０１７年４７号", "国办发2017-47号"]:  # fmt: skip
        meaning = understand(q, LEX, SYN)
        assert meaning.variants[0].doc_no == "国办发〔2017〕47号", q
        assert [r.kind for r in meaning.rewrites] == ["doc_no"]
    assert find_doc_no("国令706号") == "国令第706号" and find_doc_no("社保卡") == ""


def test_pinyin_full_mixed_and_initials_become_vocabulary_hanzi() -> None:
    assert understand("shebao", LEX, SYN).rewrites[0].replacement == "社保"
    assert understand("社bao", LEX, SYN).rewrites[0].replacement == "社保"
    jtys = understand("jtys", LEX, SYN)
    assert [v.query for v in jtys.variants[:2]] == ["交通运输", "家庭医生"], "ranked by frequency, both kept"


def test_pinyin_has_no_homophone_noise_outside_the_vocabulary() -> None:
    queries = [v.query for v in understand("gongjijin", LEX, SYN).variants]
    assert queries[0] == "公积金" and all(q in ("公积金", "gongjijin") for q in queries)


def test_typo_gives_did_you_mean_and_a_correction() -> None:
    meaning = understand("公积经提取", LEX, SYN)
    assert meaning.did_you_mean == "公积金提取"
    assert meaning.correction is not None and meaning.correction.query == "公积金提取"
    assert understand("公积金提取", LEX, SYN).did_you_mean is None, "a right query is never corrected"


def test_colloquial_to_official_and_traditional_are_recorded() -> None:
    meaning = understand("身份证丢了", LEX, SYN)
    assert ("synonym", "居民身份证补领") in [(r.kind, r.replacement) for r in meaning.rewrites]
    assert any(v.query == "身份证丢了" for v in meaning.variants), "the original is searched too"
    assert next(r.kind for r in understand("社會保險", LEX, SYN).rewrites) == "traditional"


def test_nothing_to_understand_in_punctuation_or_emoji() -> None:
    assert understand("？？！！", LEX, SYN).rewrites == []
    assert understand("😀", LEX, SYN).did_you_mean is None


TITLED = Lexicon(
    [("长期", 90), ("号楼", 80), ("保险", 70), ("护理", 3), ("西安", 60), ("需求", 50)],
    titles=["广州市长期护理保险试行办法", "河北雄安新区总体规划"],
)


def test_initials_read_as_a_whole_title_phrase_before_compositions() -> None:
    meaning = understand("cqhlbx", TITLED, SYN)
    assert meaning.rewrites[0].replacement == "长期护理保险", "not 长期号楼保险 from frequent single words"
    assert understand("xaxq", TITLED, SYN).rewrites[0].replacement == "雄安新区", "安 typed as its zero initial a"


def test_latin_words_and_unattested_vowel_initials_stay_as_typed() -> None:
    for q in ["pdf", "app", "wifi", "data", "xaxy"]:
        assert [r.kind for r in understand(q, TITLED, SYN).rewrites] == [], q

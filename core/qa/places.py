"""Place names in questions and pairs, so that the right city's answer wins (深圳 asks about 深圳, not 上海).

The names come from jieba's own dictionary (shipped with the jieba package), not from any question: a word
tagged as a place (`ns`) counts when the dictionary also holds it with an administrative suffix (深圳 and
深圳市, 江西 and 江西省, 内蒙古 and 内蒙古自治区), which keeps real divisions and drops the words jieba tags as
places that are not (上市, 东西). 中国 and 全国 name no particular place. The analyzer's terms carry both the
whole name and its parts (深圳市 → 深圳), and a term with a suffix is reduced to its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import jieba

_SUFFIXES = ("省", "市", "区", "县", "州", "自治区", "自治州", "特别行政区")
_NOT_PARTICULAR = frozenset(("中国", "全国", "中华", "国家"))


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Names of provinces, cities, districts and counties (without their suffix)."""
    tagged: set[str] = set()
    words: set[str] = set()
    with jieba.get_dict_file() as fh:
        for raw in fh:
            parts = raw.decode("utf-8").split()
            if len(parts) == 3:
                words.add(parts[0])
                if parts[2] == "ns":
                    tagged.add(parts[0])
    names = {w for w in tagged if 2 <= len(w) <= 4 and any(w + s in words for s in _SUFFIXES)}
    for word in tagged:
        for suffix in _SUFFIXES:
            stem = word.removesuffix(suffix)
            if stem != word and len(stem) >= 2 and stem in tagged:
                names.add(stem)
    return frozenset(names - _NOT_PARTICULAR)


def places_in(terms: Iterable[str]) -> frozenset[str]:
    """The place names among analyzer terms, each reduced to its name (深圳市 → 深圳)."""
    names = place_names()
    found = set()
    for term in terms:
        stems = [term.removesuffix(s) for s in _SUFFIXES if term.endswith(s)]
        name = next((stem for stem in stems if stem in names), term if term in names else None)
        if name is not None:
            found.add(name)
    return frozenset(found)

"""Other phrasings of a question, as search makes them: colloquial → official, typos fixed, pinyin → hanzi."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from core.textzh import Corrector, PinyinIndex, SynonymTable, lexicon
from core.textzh.colloquial import ColloquialLexicon
from core.textzh.normalize import fold

_LATIN = re.compile(r"[a-z]")
_SYNONYM_WEIGHT, _TYPO_WEIGHT, _PINYIN_WEIGHT, _SPOKEN_WEIGHT = 0.97, 0.95, 0.97, 0.97
_MAX_PINYIN = 3
_RAW_PINYIN_WEIGHT = 0.9  # a question with pinyin in it, as typed, once it has a hanzi reading
_SPOKEN_VARIANTS = 3  # a third: the other official forms of a spoken word, one at a time
_MAX_PHRASINGS = 5  # each phrasing is a search of its own: the most trusted five keep ask fast

# Colloquial words citizens use in questions and the words policy answers use; written by us.
QA_COLLOQUIAL: tuple[tuple[str, str], ...] = (
    ("咋办", "怎么办"),
    ("咋弄", "怎么办"),
    ("咋整", "怎么办"),
    ("咋", "怎么"),
    ("啥", "什么"),
    ("社保费", "社会保险费"),
    ("社保", "社会保险"),
    ("医保", "医疗保险"),
    ("公积金", "住房公积金"),
    ("报税", "纳税申报"),
    ("交税", "缴纳税款"),
    ("缴税", "缴纳税款"),
    ("税钱", "税款"),
    ("发烧", "发热"),
    ("过路费", "通行费"),
    ("卖不出去", "滞销"),
    ("卖不掉", "滞销"),
    ("坐车", "乘坐"),
    ("打电话", "电话"),
    ("缓交", "缓缴"),
    ("多长时间", "多久"),
    ("多少钱", "多少"),
    ("火车", "铁路"),
    ("公交", "公共交通"),
    ("看病", "就医"),
    ("失业金", "失业保险金"),
    ("网上办", "网上办理"),
)


class Rewriter:
    """Rewrites a question with the shared synonyms, the spoken → official lexicon, a typo corrector and a pinyin
    index over the KB's terms."""

    def __init__(self, synonyms: SynonymTable | None = None, spoken: ColloquialLexicon | None = None) -> None:
        self.synonyms = synonyms or SynonymTable.default()
        self.spoken = spoken or ColloquialLexicon.default()
        for colloquial, official in QA_COLLOQUIAL:
            self.synonyms.add(colloquial, official)
        gov = [(term, 1.0) for term in lexicon.gov_terms()]
        self.corrector = Corrector(gov, min_freq=1.0)
        self.pinyin = PinyinIndex(gov)

    def learn(self, term_freq: Mapping[str, int] | Iterable[tuple[str, int]]) -> None:
        """Add vocabulary terms (the stored questions' terms with their counts)."""
        items = list(term_freq.items() if isinstance(term_freq, Mapping) else term_freq)
        self.corrector.add_terms((t, float(f)) for t, f in items if f > 0)
        for term, freq in items:
            if freq > 0 and len(term) >= 2:
                self.pinyin.add(term, float(freq))

    def phrasings(self, text: str) -> list[tuple[str, float]]:
        """(text, weight) for the question itself and each rewrite of it, most trusted first."""
        q = fold(text)
        out = self._pinyin_readings(q)
        bases = list(out)
        for base in list(bases):
            fixed = self.corrector.suggest(base)
            if fixed is not None and fixed.text not in out:
                out[fixed.text] = _TYPO_WEIGHT * out[base]
                bases.append(fixed.text)
        for base in list(bases):
            for rewritten in self.spoken.rewrite(base, whole_words=True)[:_SPOKEN_VARIANTS]:
                if rewritten not in out:
                    out[rewritten] = _SPOKEN_WEIGHT * out[base]
                    bases.append(rewritten)
        for base in bases:
            for rewritten in self.synonyms.rewrite(base)[:2]:
                out.setdefault(rewritten, _SYNONYM_WEIGHT * out[base])
        return list(out.items())[:_MAX_PHRASINGS]

    def _pinyin_readings(self, q: str) -> dict[str, float]:
        """The (folded) question and, when it holds pinyin, its hanzi readings, with their weights."""
        out = {q: 1.0}
        if _LATIN.search(q) and self.pinyin.is_probably_pinyin(q):
            for candidate, _ in self.pinyin.candidates(q, limit=_MAX_PINYIN):
                out.setdefault(candidate, _PINYIN_WEIGHT)
            if len(out) > 1:  # the letters as typed match no pair: with a hanzi reading, the rest of it is a part
                out[q] = _RAW_PINYIN_WEIGHT
        return out

"""Spoken → official Chinese for questions in citizens' own words (开个小饭馆要办啥证 → 开个餐饮服务要办什么许可证).

`ColloquialLexicon.default()` reads two bundled lists:

- `data/colloquial.txt`: spoken words and the official words documents use for them (啥→什么, 咋整→怎么办理,
  娃→子女|儿童, 掏钱→支付|费用, 开饭馆→餐饮服务, 不干了→注销, 房贷→个人住房贷款, 要带啥→所需材料 …);
- `data/aspects.txt`: words that ask for an aspect (材料, 在哪, 多少钱, 常见问题) or frame a question (今年,
  国家, 有) rather than name its subject, left out by `subject()`;
- `data/fillers.txt`: greetings, politeness, particles and "how do I" tails that say nothing about the
  subject (请问, 你好, 一下, 咋整, 呢, 啊 …).

How the lists were made: written from general knowledge of spoken Mandarin (question words, kinship and
everyday nouns, "asking for an aspect" phrases such as 在哪办 / 要多少钱 / 要带啥, business and household
slang), then checked against the corpus in ../shared/corpus: `attested()` keeps an official form only when it
occurs in the reference texts (the Guangdong service guides, the gov.cn and Guangzhou pages, the answers of
the 5,000 policy Q&A pairs), and the spoken side was compared with the Q&A questions (words frequent in the
questions and rare in their answers are the spoken register). No entry was taken from an evaluation question.
Extended 2026-12-04 to about 940 spoken words the same way (offices, benefits, epidemic-era words, dialect question
words); a spoken word found inside words the corpus uses (动车 in 机动车, 房租 in 住房租金) is left out, since search
reads spoken words anywhere in a query.

The API is small and stable: `default()`, `rewrite(text) -> list[str]`, `drop_fillers(text) -> str`,
`subject(text) -> list[str]`, `officials(word)`, `rows()`, `attested(texts)`. Text is folded
(`core.textzh.normalize.fold`) first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache, partial

from core.textzh import lexicon
from core.textzh.analyzer import get_analyzer
from core.textzh.normalize import fold
from core.textzh.synonyms import SynonymTable

_MAX_VARIANTS = 4
# A one-character particle (呢 啊 吧 …) is a filler only where a clause ends: 酒吧 and 哈尔滨 keep theirs.
_CLAUSE_END = r"(?=$|[\s,.!?;:，。！？；：、~～…])"
_SPACES = re.compile(r"\s+")
_EDGE_PUNCT = re.compile(r"^[\s\W_]+|[\s\W_]+$")


class ColloquialLexicon:
    """Spoken words mapped to official ones, and the filler words of spoken questions."""

    def __init__(
        self, rows: Iterable[tuple[str, str]] = (), fillers: Iterable[str] = (), aspects: Iterable[str] = ()
    ) -> None:
        self._table = SynonymTable(rows)
        self._longest = max((len(fold(spoken)) for spoken, _ in self._table.rows()), default=0)
        self._aspects = frozenset(fold(a) for a in aspects)
        longer = sorted((re.escape(a) for a in self._aspects if len(a) > 1), key=len, reverse=True)
        self._aspect_re = re.compile("|".join(longer)) if longer else None
        words = sorted({fold(f) for f in fillers if fold(f)}, key=len, reverse=True)
        self._fillers = tuple(words)
        long_words = [re.escape(w) for w in words if len(w) > 1]
        particles = "".join(re.escape(w) for w in words if len(w) == 1)
        parts = [*long_words, *([f"[{particles}]{_CLAUSE_END}"] if particles else [])]
        self._filler_re = re.compile("|".join(parts)) if parts else None

    @classmethod
    def default(cls) -> ColloquialLexicon:
        """The bundled lexicon (core/textzh/data/colloquial.txt and fillers.txt), built once."""
        return _default()

    def rows(self) -> list[tuple[str, str]]:
        """Every mapping as (spoken, official)."""
        return self._table.rows()

    def fillers(self) -> tuple[str, ...]:
        """The filler words, longest first."""
        return self._fillers

    def officials(self, spoken: str) -> list[str]:
        """The official forms of one spoken word, most direct first; [] when it is not spoken register."""
        return self._table.officials(spoken)

    def rewrite(self, text: str, *, whole_words: bool = False) -> list[str]:
        """Variants of the (folded) text with its spoken words replaced by official ones, most direct first
        (the first official form of every spoken word), then one word at a time its other forms; [] when
        nothing in the text is spoken register. The text itself is never among them. With `whole_words`, a
        spoken word is replaced only where it does not cut a word of the text in two: 上哪 is not read inside
        网上哪里 (网上 | 哪里), which would make 网哪里里."""
        folded = fold(text)
        if not whole_words:
            return [v for v in self._table.rewrite(folded) if v != folded][:_MAX_VARIANTS]
        matches = self._whole_word_matches(folded)
        if not matches:
            return []
        first = [officials[0] for _, _, officials in matches]
        choices = [first] + [
            [*first[:n], other, *first[n + 1 :]]
            for n, (_, _, officials) in enumerate(matches)
            for other in officials[1:]
        ]
        out = []
        for choice in choices:
            parts, last = [], 0
            for (i, j, _), official in zip(matches, choice, strict=True):
                parts += [folded[last:i], official]
                last = j
            out.append("".join([*parts, folded[last:]]))
        return [v for v in dict.fromkeys(out) if v != folded][:_MAX_VARIANTS]

    def _whole_word_matches(self, folded: str) -> list[tuple[int, int, list[str]]]:
        """(start, end, official forms) of the spoken words that start and end where the text's words do,
        longest first at each place, left to right."""
        bounds = get_analyzer().boundaries(folded) | {0, len(folded)}
        found, i = [], 0
        while i < len(folded):
            for j in range(min(len(folded), i + self._longest), i, -1):
                officials = self._table.officials(folded[i:j]) if i in bounds and j in bounds else []
                if officials and not any(o in folded and folded[i:j] in o for o in officials):
                    found.append((i, j, officials))
                    i = j - 1
                    break
            i += 1
        return found

    def drop_fillers(self, text: str) -> str:
        """The (folded) text without greetings, politeness, particles and "how do I" tails; the text itself
        when nothing else would be left."""
        folded = fold(text)
        if self._filler_re is None:
            return folded
        dropped, before = folded, ""
        while dropped != before:  # 卡呢啊: each particle ends the clause once the one after it is gone
            before = dropped
            dropped = self._filler_re.sub(partial(_drop, before), before).rstrip()
        dropped = _EDGE_PUNCT.sub("", _SPACES.sub(" ", dropped)).strip()
        return dropped if any(c.isalnum() for c in dropped) else folded

    def subject(self, text: str) -> list[str]:
        """The words of the text that name its subject: fillers dropped, spoken words in official form, then
        the words that ask for an aspect or frame the question (材料, 在哪, 今年, 常见问题 …) left out, in
        order. [] when nothing but aspects is left."""
        plain = self.drop_fillers(text)
        official = next(iter(self.rewrite(plain)), plain)
        if self._aspect_re is not None:  # 要带啥 → 所需材料 is left out whole, however the segmenter cuts it
            official = self._aspect_re.sub(" ", official)
        return [t for t in get_analyzer().tokens(official) if t not in self._aspects]

    def attested(self, texts: Iterable[str]) -> ColloquialLexicon:
        """A lexicon keeping only the official forms whose every word (asking and stop words aside: 什么样) occurs in
        `texts`, how the bundled list was checked against the corpus; spoken words left without an official
        form are dropped."""
        corpus = "\n".join(fold(t) for t in texts)
        terms = get_analyzer().query_terms
        asking = self._aspects

        def found(official: str) -> bool:
            return all(w in corpus or w in asking for w in terms(official)) if official not in asking else True

        kept = [(spoken, official) for spoken, official in self.rows() if found(official)]
        return ColloquialLexicon(kept, self._fillers, self._aspects)


def _drop(text: str, match: re.Match[str]) -> str:
    """A filler becomes a space, except a particle that ends a word (酒吧, 网吧)."""
    start = match.start()
    if len(match.group()) == 1 and start > 0 and get_analyzer().is_known(text[start - 1 : start + 1]):
        return match.group()
    return " "


@lru_cache(maxsize=1)
def _default() -> ColloquialLexicon:
    rows: list[tuple[str, str]] = []
    for line in lexicon.read_rows("colloquial.txt"):
        spoken, officials = line.split("\t")
        rows += [(spoken, official) for official in officials.split("|")]
    return ColloquialLexicon(rows, lexicon.read_rows("fillers.txt"), lexicon.read_rows("aspects.txt"))

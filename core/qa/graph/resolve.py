"""Which service a citizen's words name: IDF-weighted bigram overlap with service names, over spoken variants."""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.qa.rewrite import QA_COLLOQUIAL
from core.textzh import SynonymTable, fold
from core.textzh.colloquial import ColloquialLexicon

MIN_SCORE = 0.5  # below: the words name no service we know (the ordinary Q&A answers)
SURE_SCORE = 0.62  # from here a single best service is taken without asking
GAP = 0.04  # services this close to the best are asked back about
CLEAR_LEAD = 0.12  # a best below SURE_SCORE is still taken when the next is this far behind
_CHAR_WEIGHT = 0.1  # the share of X's characters a name holds breaks near-ties (新建 ~ 新申请)
MAX_CANDIDATES = 4
_QUERY_SIDE = 0.75
_HAN = re.compile(r"[\u3400-\u9fffa-z0-9]")
_BRACKETS = re.compile(r"[()（）\[\]【】《》<>〈〉\"“”'‘’]")
# words around a service's name that are not the name (办 / 我想办 / 去 …)
_LEAD = re.compile(r"^(?:请问|我(?:想|要|需要|该)?|想|要|需要|如何|怎么|怎样|咋|去|到|在)*(?:办理|申办|申请|办)?")
_TAIL = re.compile(r"(?:的话|的|时|时候|手续|业务|事项|这个事|这件事)+$")

Variants = Callable[[str], list[str]]


def bigrams(text: str) -> set[str]:
    chars = [c for c in text if _HAN.match(c)]
    if len(chars) == 1:
        return {chars[0]}
    return {a + b for a, b in itertools.pairwise(chars)}


def core_words(x: str) -> str:
    """The words of X without the verbs and particles around a service's name."""
    text = fold(x).strip(" ,，.。?？!！、")
    stripped = _TAIL.sub("", _LEAD.sub("", text, count=1))
    return stripped if len(bigrams(stripped)) >= 1 and stripped else text


def default_variants() -> Variants:
    """Spoken → official rewrites (the Q&A rewriter's synonyms and colloquial lexicon), at most four."""
    synonyms = SynonymTable.default()
    for colloquial, official in QA_COLLOQUIAL:
        synonyms.add(colloquial, official)
    spoken = ColloquialLexicon.default()

    def variants(text: str) -> list[str]:
        out = [text, *spoken.rewrite(text, whole_words=True)[:2], *synonyms.rewrite(text)[:2]]
        return list(dict.fromkeys(out))[:4]

    return variants


@dataclass(frozen=True)
class Match:
    """A service the words may name, and how well."""

    id: str
    name: str
    score: float


class NameIndex:
    """Service names indexed by character bigram for `match`."""

    def __init__(self, names: Iterable[tuple[str, str]], variants: Variants | None = None) -> None:
        self._names: dict[str, str] = {}
        self._plain: dict[str, str] = {}
        self._grams: dict[str, set[str]] = {}
        self._chars: dict[str, set[str]] = {}
        self._postings: dict[str, list[str]] = defaultdict(list)
        for sid, name in names:
            plain = _BRACKETS.sub("", fold(name))
            grams = bigrams(plain)
            self._names[sid], self._plain[sid], self._grams[sid] = name, plain, grams
            self._chars[sid] = set(plain)
            for g in grams:
                self._postings[g].append(sid)
        n = max(len(self._names), 1)
        self._idf = {g: math.log(1 + n / len(ids)) for g, ids in self._postings.items()}
        char_df: dict[str, int] = defaultdict(int)
        for chars in self._chars.values():
            for c in chars:
                char_df[c] += 1
        self._char_idf = {c: math.log(1 + n / df) for c, df in char_df.items()}
        self._default_idf = math.log(1 + n)
        self._weight = {sid: sum(self._idf[g] for g in grams) for sid, grams in self._grams.items()}
        self._variants = variants or default_variants()

    def __len__(self) -> int:
        return len(self._names)

    def _score_one(self, text: str) -> dict[str, float]:
        text = _BRACKETS.sub("", text)
        grams = bigrams(text)
        asked = sum(self._idf.get(g, self._default_idf) for g in grams)
        if not asked:
            return {}
        shared: dict[str, float] = defaultdict(float)
        for g in grams:
            for sid in self._postings.get(g, ()):
                shared[sid] += self._idf[g]
        chars = {c for c in text if _HAN.match(c)}
        char_total = sum(self._char_idf.get(c, self._default_idf) for c in chars) or 1.0
        out = {}
        for sid, common in shared.items():
            score = _QUERY_SIDE * common / asked + (1 - _QUERY_SIDE) * common / max(self._weight[sid], 1e-9)
            held = sum(self._char_idf[c] for c in chars & self._chars[sid]) / char_total
            score *= 1 - _CHAR_WEIGHT + _CHAR_WEIGHT * held
            if self._plain[sid] == text:
                score = 1.0
            out[sid] = score
        return out

    def match(self, words: str, limit: int = 8) -> list[Match]:
        """The services the words may name, best first (scores 0..1)."""
        core = core_words(words)
        best: dict[str, float] = {}
        for i, variant in enumerate(self._variants(core)):
            for sid, score in self._score_one(fold(variant)).items():
                score *= 1.0 if i == 0 else 0.97
                if score > best.get(sid, 0.0):
                    best[sid] = score
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], len(self._names[kv[0]]), kv[0]))[:limit]
        return [Match(sid, self._names[sid], round(s, 4)) for sid, s in ranked]


@dataclass(frozen=True)
class Resolution:
    """What X names: one service (`found`), a few to ask about (`candidates`), or nothing known."""

    found: Match | None
    candidates: tuple[Match, ...] = ()

    @property
    def known(self) -> bool:
        return self.found is not None or bool(self.candidates)


def resolve(index: NameIndex, words: str) -> Resolution:
    """One service when the best is sure and clear of the rest; candidates when close; else nothing."""
    ranked = index.match(words)
    if not ranked or ranked[0].score < MIN_SCORE:
        return Resolution(None)
    best = ranked[0]
    close = [m for m in ranked[1:] if best.score - m.score <= GAP and m.score >= MIN_SCORE]
    exact = best.score >= 1.0 and not any(m.score >= 1.0 for m in close)
    clear = len(ranked) == 1 or best.score - ranked[1].score >= CLEAR_LEAD
    if exact or (best.score >= SURE_SCORE and not close) or clear:
        return Resolution(best)
    return Resolution(None, (best, *close)[:MAX_CANDIDATES])

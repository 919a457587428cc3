"""Which answer words a question word predicts, learned from the loaded pairs themselves (行业 → 餐饮, 零售).

Questions name a class of things (行业, 税种, 渠道, 人员) where answers list its members (批发零售、住宿餐饮;
增值税、企业所得税; 电子税务局、微信公众号). Counting, over the stored pairs, which answer words occur with
which question words shows it: an answer word that occurs with a question word far more often than in answers
at large is predicted by it. The counts are taken from whatever pairs are loaded (computed when the knowledge
base loads; nothing is shipped from a corpus), and a word is trusted only when it was seen in enough pairs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

_MIN_PAIRS = 4  # a question word seen in fewer pairs teaches nothing reliable
_MAX_SHARE = 0.05  # nor one in more than this share of the pairs (疫情, 企业: they predict everything)
_MIN_TOGETHER = 3  # an answer word must occur with the question word in at least this many pairs
_MIN_LIFT = 4.0  # and this many times more often than in answers at large
_TOP = 6  # answer words kept per question word


def _telling(word: str) -> bool:
    """Whether an answer word can be predicted usefully: two or more characters, and no bare number or year
    (8, 2018, 50%) except a hotline (12345, 12366)."""
    if len(word) < 2:
        return False
    return not any(ch.isdigit() for ch in word) or (word.isdigit() and len(word) == 5)


class Associations:
    """Question word → [(answer word, strength 0..1)], strongest first."""

    def __init__(self, table: Mapping[str, list[tuple[str, float]]] | None = None) -> None:
        self._table = dict(table or {})

    def __len__(self) -> int:
        return len(self._table)

    def of(self, word: str) -> list[tuple[str, float]]:
        """The answer words a question word predicts, with their strength; [] when it predicts none."""
        return self._table.get(word, [])

    @classmethod
    def learn(cls, pairs: Iterable[tuple[Iterable[str], Iterable[str]]]) -> Associations:
        """Learn from (question words, answer words) of each pair."""
        questions: list[frozenset[str]] = []
        answers: list[frozenset[str]] = []
        for q, a in pairs:
            questions.append(frozenset(q))
            answers.append(frozenset(a))
        n = len(questions)
        if not n:
            return cls()
        q_df = Counter(w for q in questions for w in q)
        a_df = Counter(w for a in answers for w in a)
        usable_q = {w for w, df in q_df.items() if _MIN_PAIRS <= df <= max(_MIN_PAIRS, _MAX_SHARE * n)}
        usable_a = {
            w for w, df in a_df.items() if _MIN_TOGETHER <= df <= max(_MIN_TOGETHER, _MAX_SHARE * 4 * n) and _telling(w)
        }
        together: dict[str, Counter[str]] = {}
        for q, a in zip(questions, answers, strict=True):
            words = [w for w in a if w in usable_a and w not in q]
            for word in q & usable_q:
                together.setdefault(word, Counter()).update(words)
        table = {}
        for word, counts in together.items():
            kept = []
            for answer_word, co in counts.items():
                lift = co / q_df[word] / (a_df[answer_word] / n)
                if co >= _MIN_TOGETHER and lift >= _MIN_LIFT:
                    kept.append((answer_word, co / q_df[word] * min(1.0, math.log(lift) / math.log(50))))
            kept.sort(key=lambda kv: (-kv[1], kv[0]))
            if kept:
                table[word] = [(w, round(s, 4)) for w, s in kept[:_TOP]]
        return cls(table)

"""In-memory retrieval over question-answer pairs: BM25 on analyzer terms, then a rerank on n-gram overlap.

Candidates come from BM25 over the analyzer's index terms of each stored question (plus, weaker, of its
answer) and from the rarer character bigrams; the best of them are reranked by IDF-weighted overlap of
analyzer terms, character bigrams and characters, each measured from the query's side and, less, from
the stored question's side, plus evidence found only in the answer. Terms survive reordering and
paraphrase, bigrams survive unknown words, single characters survive a typo; the weights were measured
on the evaluation set in docs/qa-quality.md. Pairs can be added and removed one at a time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

from core.textzh import Analyzer, fold, get_analyzer

_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
_K1, _B = 1.2, 0.75
_ANSWER_WEIGHT = 0.3
_COMMON = 0.15  # terms in more than this share of questions do not select candidates (they still score)
_CANDIDATES = 60
_ANSWER_CHARS = 400
# Rerank weights: terms, bigrams, characters, answer-only evidence; query-side share of each overlap.
_W_TERMS, _W_BIGRAMS, _W_CHARS, _W_ANSWER = 0.35, 0.4, 0.25, 0.15
_QUERY_SIDE = 0.7
_SPECIFIC_CHARS = 8


def grams(text: str) -> tuple[list[str], list[str]]:
    """Character bigrams and single characters of folded text (Latin/digit runs count as one character)."""
    bigrams: list[str] = []
    chars: list[str] = []
    for run in _RUN.findall(text):
        if run[0].isascii():
            chars.append(run)
            continue
        chars.extend(run)
        bigrams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return bigrams, chars


@dataclass(kw_only=True)
class _Entry:
    key: str
    terms: frozenset[str]
    bigrams: frozenset[str]
    chars: frozenset[str]
    answer_bigrams: frozenset[str]
    length: int


@dataclass(frozen=True)
class QueryView:
    """One phrasing of the query, analysed once."""

    terms: tuple[str, ...]
    bigrams: frozenset[str]
    chars: frozenset[str]
    weight: float = 1.0


class _Field:
    """An inverted index of one field with document frequencies and lengths, for BM25."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, int]] = {}
        self.lengths: dict[int, int] = {}
        self.total = 0

    def add(self, doc: int, terms: Iterable[str]) -> None:
        counts = Counter(terms)
        for term, tf in counts.items():
            self.postings.setdefault(term, {})[doc] = tf
        n = sum(counts.values())
        self.lengths[doc] = n
        self.total += n

    def remove(self, doc: int) -> None:
        self.total -= self.lengths.pop(doc, 0)
        for term in [t for t, p in self.postings.items() if doc in p]:
            del self.postings[term][doc]
            if not self.postings[term]:
                del self.postings[term]

    def idf(self, term: str) -> float:
        n, df = len(self.lengths), len(self.postings.get(term, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def score(self, terms: Sequence[str], weight: float) -> Iterator[tuple[int, float]]:
        """BM25 of each matching document, term by term: (document, part of its score)."""
        n = len(self.lengths)
        if not n:
            return
        avg = self.total / n
        for term in terms:
            posting = self.postings.get(term)
            if not posting or len(posting) > _COMMON * n + 5:
                continue
            idf = self.idf(term) * weight
            for doc, tf in posting.items():
                norm = tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * self.lengths[doc] / avg))
                yield doc, idf * norm


class QaIndex:
    """Finds the stored questions closest to a query; keys are pair ids."""

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        self._analyzer = analyzer or get_analyzer()
        self._entries: dict[int, _Entry] = {}
        self._slot: dict[str, int] = {}
        self._next = 0
        self._questions = _Field()
        self._answers = _Field()
        self._bigram_slots: dict[str, set[int]] = {}
        self._bigram_df: Counter[str] = Counter()
        self._char_df: Counter[str] = Counter()
        self.term_df: Counter[str] = Counter()
        self._idf_cache: dict[tuple[int, str], float] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._slot

    def add(self, key: str, question: str, answer: str = "", extra: str = "") -> frozenset[str]:
        """Index a pair (replacing one with the same key); `extra` is matched like the question (tags).

        Returns the question's index terms."""
        self.remove(key)
        text = fold(f"{question} {extra}".strip())
        folded_answer = fold(answer[:_ANSWER_CHARS])
        index_terms = self._analyzer.index_terms(text)
        bigrams, chars = grams(text)
        slot, self._next = self._next, self._next + 1
        entry = _Entry(
            key=key,
            terms=frozenset(index_terms),
            bigrams=frozenset(bigrams),
            chars=frozenset(chars),
            answer_bigrams=frozenset(grams(folded_answer)[0]),
            length=len(chars),
        )
        self._entries[slot] = entry
        self._slot[key] = slot
        self._questions.add(slot, index_terms)
        self._answers.add(slot, self._analyzer.index_terms(folded_answer))
        for bigram in entry.bigrams:
            self._bigram_slots.setdefault(bigram, set()).add(slot)
        self._bigram_df.update(entry.bigrams)
        self._char_df.update(entry.chars)
        self.term_df.update(entry.terms)
        self._idf_cache.clear()
        return entry.terms

    def remove(self, key: str) -> None:
        """Forget a pair (no-op when absent)."""
        slot = self._slot.pop(key, None)
        if slot is None:
            return
        entry = self._entries.pop(slot)
        self._questions.remove(slot)
        self._answers.remove(slot)
        for bigram in entry.bigrams:
            self._bigram_slots[bigram].discard(slot)
        self._bigram_df.subtract(entry.bigrams)
        self._char_df.subtract(entry.chars)
        self.term_df.subtract(entry.terms)
        self._idf_cache.clear()

    def view(self, text: str, weight: float = 1.0) -> QueryView:
        """Analyse one phrasing of a query."""
        folded = fold(text)
        bigrams, chars = grams(folded)
        return QueryView(tuple(self._analyzer.query_terms(folded)), frozenset(bigrams), frozenset(chars), weight)

    def _idf(self, df: Counter[str], item: str) -> float:
        key = (id(df), item)
        value = self._idf_cache.get(key)
        if value is None:
            n, d = len(self._entries), max(df.get(item, 0), 0)
            value = self._idf_cache[key] = math.log(1 + (n - d + 0.5) / (d + 0.5))
        return value

    def search(self, views: Sequence[QueryView], limit: int = 5) -> list[tuple[str, float]]:
        """The best pairs for any of the phrasings, as (key, score 0..1), best first."""
        if not self._entries or not views:
            return []
        rough: dict[int, float] = {}
        for view in views:
            questions = self._questions.score(view.terms, view.weight)
            answers = self._answers.score(view.terms, view.weight * _ANSWER_WEIGHT)
            for slot, part in chain(questions, answers, self._rare_bigrams(view)):
                rough[slot] = rough.get(slot, 0.0) + part
        chosen = sorted(rough, key=rough.__getitem__, reverse=True)[:_CANDIDATES]
        scored = []
        for slot in chosen:
            entry = self._entries[slot]
            best = max(self._rerank(view, entry) * view.weight for view in views)
            scored.append((entry.key, round(best, 4)))
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return scored[:limit]

    def _rare_bigrams(self, view: QueryView) -> Iterator[tuple[int, float]]:
        n = len(self._entries)
        for bigram in view.bigrams:
            df = self._bigram_df.get(bigram, 0)
            if 0 < df <= _COMMON * n + 5:
                bonus = 0.5 * self._idf(self._bigram_df, bigram) * view.weight
                for slot in self._bigram_slots[bigram]:
                    yield slot, bonus

    def _overlap(self, query: Iterable[str], stored: frozenset[str], df: Counter[str]) -> float:
        q_total = hit = 0.0
        for item in query:
            w = self._idf(df, item)
            q_total += w
            if item in stored:
                hit += w
        if not q_total:
            return 0.0
        s_total = sum(self._idf(df, item) for item in stored) or 1.0
        return _QUERY_SIDE * hit / q_total + (1 - _QUERY_SIDE) * min(1.0, hit / s_total)

    def _rerank(self, view: QueryView, entry: _Entry) -> float:
        terms = self._overlap(view.terms, entry.terms, self.term_df)
        bigrams = self._overlap(view.bigrams, entry.bigrams, self._bigram_df)
        chars = self._overlap(view.chars, entry.chars, self._char_df)
        q_total = sum(self._idf(self._bigram_df, b) for b in view.bigrams) or 1.0
        only_answer = sum(
            self._idf(self._bigram_df, b) for b in view.bigrams - entry.bigrams if b in entry.answer_bigrams
        )
        answer = only_answer / q_total
        score = _W_TERMS * terms + _W_BIGRAMS * bigrams + _W_CHARS * chars + _W_ANSWER * answer
        # A query of two or three characters (北京) matches much, and says too little to be sure of any of it.
        return score * min(1.0, len(view.chars) / _SPECIFIC_CHARS) ** 0.5

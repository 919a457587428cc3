"""The stored side of the Q&A index: each pair's question and answer as terms, bigrams and characters, their BM25
fields and document frequencies, kept current as pairs are added and removed one at a time (core.qa.index ranks
over them)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence

from core.qa import aspects
from core.qa.bm25 import Field
from core.qa.readings import Entry, grams
from core.textzh import Analyzer, fold, get_analyzer
from core.textzh.places import abbreviated, places_in

_ANSWER_CHARS = 2000
_GENERIC = 0.1  # a word in this share of the stored questions says nothing about which pair is meant


def own_words(terms: Sequence[str]) -> tuple[str, ...]:
    """The content words of a question that say what it is about (`readings.unasked`, `readings.held`): its
    query terms (stopwords already out) without single characters (segmentation crumbs: 年, 已, 时), bare
    numbers and place names (weighed by their own rule in readings)."""
    return tuple(
        t for t in dict.fromkeys(terms) if (len(t) > 1 or t.isascii()) and not t.isdigit() and not places_in((t,))
    )


class PairTable:
    """The pairs, keyed by pair id, each in a slot; what the ranking reads of them (fields, frequencies, IDFs)."""

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        self._analyzer = analyzer or get_analyzer()
        self._entries: dict[int, Entry] = {}
        self._slot: dict[str, int] = {}
        self._next = 0
        # BM25 fields, terms and bigrams of each side; the answer side weighs more (BM25_QUESTION) because
        # citizens ask with the words of the answer they need, not of a question someone stored.
        self._questions = Field()
        self._answers = Field()
        self._question_bigrams = Field()
        self._answer_bigrams = Field()
        self._bigram_df: Counter[str] = Counter()
        self._pair_bigram_df: Counter[str] = Counter()
        self._pair_char_df: Counter[str] = Counter()
        self._char_df: Counter[str] = Counter()
        self.term_df: Counter[str] = Counter()
        self._idf_cache: dict[tuple[int, str], float] = {}
        self._totals: dict[int, tuple[float, float, float]] = {}
        self._own: dict[int, tuple[tuple[str, float], ...]] = {}
        self._pair_sizes = 0  # distinct characters of every pair (question and answer), summed: for their mean

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._slot

    def add(self, key: str, question: str, answer: str = "", extra: str = "") -> frozenset[str]:
        """Index a pair (replacing one with the same key); `extra` is matched like the question (tags).

        Returns the question's index terms."""
        self.remove(key)
        text = fold(f"{question} {extra}".strip())
        text = " ".join((text, *abbreviated(text)))  # 来沪人员 is about 上海
        folded_answer = fold(answer[:_ANSWER_CHARS])
        index_terms = self._analyzer.index_terms(text)
        bigrams, chars = grams(text)
        answer_bigrams, answer_chars = grams(folded_answer)
        answer_terms = self._analyzer.index_terms(folded_answer)
        places = places_in(index_terms)
        slot, self._next = self._next, self._next + 1
        entry = Entry(
            key=key,
            terms=frozenset(index_terms),
            bigrams=frozenset(bigrams),
            chars=frozenset(chars),
            answer_bigrams=frozenset(answer_bigrams),
            answer_chars=frozenset(answer_chars),
            length=len(chars),
            places=places,
            answer_places=places | places_in(answer_terms),
            shows=aspects.shown(folded_answer),
            words=own_words(self._analyzer.query_terms(fold(question))),
        )
        self._entries[slot] = entry
        self._slot[key] = slot
        self._questions.add(slot, index_terms)
        self._answers.add(slot, answer_terms)
        self._question_bigrams.add(slot, bigrams)
        self._answer_bigrams.add(slot, answer_bigrams)
        self._bigram_df.update(entry.bigrams)
        self._pair_bigram_df.update(entry.bigrams | entry.answer_bigrams)
        self._pair_char_df.update(entry.chars | entry.answer_chars)
        self._char_df.update(entry.chars)
        self.term_df.update(entry.terms)
        self._idf_cache.clear()
        self._totals.clear()
        self._own.clear()
        self._pair_sizes += len(entry.chars | entry.answer_chars)
        return entry.terms

    def answer_terms(self, key: str) -> tuple[str, ...]:
        """The distinct index terms of a pair's answer (empty when the pair is not indexed)."""
        slot = self._slot.get(key)
        return () if slot is None else self._answers.terms_of(slot)

    def vocabulary(self) -> set[str]:
        """Every index term of the stored questions and answers."""
        return {t for t, n in self.term_df.items() if n > 0} | set(self._answers.postings)

    def pairs_holding(self, word: str) -> int:
        """How many stored questions hold the term, plus how many answers do."""
        return max(self.term_df.get(word, 0), 0) + len(self._answers.postings.get(word, ()))

    def holders(self, word: str) -> tuple[Collection[int], Collection[int]]:
        """The slots of the pairs whose question, and whose answer, hold the term."""
        return self._questions.postings.get(word, {}), self._answers.postings.get(word, {})

    def lacks(self, slot: int, word: str) -> bool:
        """Whether a pair holds a word neither as a term nor as all of its bigrams (segmented otherwise)."""
        if word in self._entries[slot].terms or slot in self._answers.postings.get(word, ()):
            return False
        entry = self._entries[slot]
        pieces = [word[i : i + 2] for i in range(len(word) - 1)]
        return not pieces or not all(b in entry.bigrams or b in entry.answer_bigrams for b in pieces)

    def remove(self, key: str) -> None:
        """Forget a pair (no-op when absent)."""
        slot = self._slot.pop(key, None)
        if slot is None:
            return
        entry = self._entries.pop(slot)
        for field in (self._questions, self._answers, self._question_bigrams, self._answer_bigrams):
            field.remove(slot)
        self._bigram_df.subtract(entry.bigrams)
        self._pair_bigram_df.subtract(entry.bigrams | entry.answer_bigrams)
        self._pair_char_df.subtract(entry.chars | entry.answer_chars)
        self._char_df.subtract(entry.chars)
        self.term_df.subtract(entry.terms)
        self._idf_cache.clear()
        self._totals.clear()
        self._own.clear()
        self._pair_sizes -= len(entry.chars | entry.answer_chars)

    def _idf(self, df: Counter[str], item: str) -> float:
        key = (id(df), item)
        value = self._idf_cache.get(key)
        if value is None:
            n, d = len(self._entries), max(df.get(item, 0), 0)
            value = self._idf_cache[key] = math.log(1 + (n - d + 0.5) / (d + 0.5))
        return value

    def _mean_pair_size(self) -> float:
        """The mean number of distinct characters of a pair (question and answer)."""
        return self._pair_sizes / len(self._entries) if self._entries else 0.0

    def _own_words(self, slot: int, entry: Entry) -> tuple[tuple[str, float], ...]:
        """The stored question's content words with their informativeness: the IDF above that of a word in a
        tenth of the stored questions, so generic words (政策, 疫情 in a COVID-19 FAQ) cost nothing when absent."""
        own = self._own.get(slot)
        if own is None:
            floor = self._floor()
            weighed = ((word, self._idf(self.term_df, word) - floor) for word in entry.words)
            own = self._own[slot] = tuple((word, w) for word, w in weighed if w > 0)
        return own

    def _floor(self) -> float:
        """The IDF of a word in a tenth of the stored questions: the informativeness of a word is its IDF above."""
        n = len(self._entries)
        return math.log(1 + (n - _GENERIC * n + 0.5) / (_GENERIC * n + 0.5))

    def _stored_totals(self, slot: int, entry: Entry) -> tuple[float, float, float]:
        """The IDF mass of a stored question's terms, bigrams and characters (kept until the IDFs change)."""
        totals = self._totals.get(slot)
        if totals is None:
            idf = self._idf
            totals = self._totals[slot] = (
                sum(idf(self.term_df, t) for t in entry.terms),
                sum(idf(self._bigram_df, b) for b in entry.bigrams),
                sum(idf(self._char_df, c) for c in entry.chars),
            )
        return totals

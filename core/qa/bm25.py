"""One BM25 field of the Q&A index: postings with term frequencies, document lengths, scores by document."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

_K1, _B = 1.2, 0.75
_COMMON = 0.1  # terms in more than this share of documents do not select candidates (they still score)


class Field:
    """An inverted index of one field with document frequencies and lengths, for BM25."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, int]] = {}
        self.lengths: dict[int, int] = {}
        self._terms: dict[int, tuple[str, ...]] = {}
        self.total = 0
        self._denominators: dict[int, float] | None = None  # BM25's length part per document, until a change

    def add(self, doc: int, terms: Iterable[str]) -> None:
        counts = Counter(terms)
        for term, tf in counts.items():
            self.postings.setdefault(term, {})[doc] = tf
        n = sum(counts.values())
        self.lengths[doc] = n
        self._terms[doc] = tuple(counts)
        self.total += n
        self._denominators = None

    def remove(self, doc: int) -> None:
        self._denominators = None
        self.total -= self.lengths.pop(doc, 0)
        for term in self._terms.pop(doc, ()):
            posting = self.postings[term]
            del posting[doc]
            if not posting:
                del self.postings[term]

    def terms_of(self, doc: int) -> tuple[str, ...]:
        """The distinct terms of one document."""
        return self._terms.get(doc, ())

    def idf(self, term: str) -> float:
        n, df = len(self.lengths), len(self.postings.get(term, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def ceiling(self, terms: Iterable[str], weight: float) -> float:
        """The most `score` can give a document for these terms (each matched once in a short document)."""
        return sum(self.idf(term) for term in terms) * weight * (_K1 + 1)

    def score(self, terms: Iterable[str], weight: float, into: dict[int, float]) -> None:
        """Add the BM25 of each matching document, term by term, to `into` (terms in too many documents skipped:
        they say little and cost most)."""
        n = len(self.lengths)
        if not n:
            return
        denominators = self._length_parts()
        for term in terms:
            posting = self.postings.get(term)
            if not posting or len(posting) > _COMMON * n + 5:
                continue
            idf = self.idf(term) * weight * (_K1 + 1)
            for doc, tf in posting.items():
                into[doc] = into.get(doc, 0.0) + idf * tf / (tf + denominators[doc])

    def score_docs(self, weighted: Iterable[tuple[str, float]], docs: Iterable[int]) -> dict[int, float]:
        """The BM25 of weighted terms for the given documents only (cheap for a few candidates whatever the
        terms' postings); terms in too many documents are skipped, as in `score`."""
        docs = list(docs)
        out: dict[int, float] = {}
        n = len(self.lengths)
        if not n:
            return out
        denominators = self._length_parts()
        for term, weight in weighted:
            posting = self.postings.get(term)
            if not posting or len(posting) > _COMMON * n + 5:
                continue
            idf = self.idf(term) * weight * (_K1 + 1)
            for doc in docs:
                tf = posting.get(doc)
                if tf:
                    out[doc] = out.get(doc, 0.0) + idf * tf / (tf + denominators[doc])
        return out

    def _length_parts(self) -> dict[int, float]:
        """BM25's length part of each document, computed once per change of the field."""
        if self._denominators is None:
            avg = self.total / max(1, len(self.lengths))
            self._denominators = {doc: _K1 * (1 - _B + _B * length / avg) for doc, length in self.lengths.items()}
        return self._denominators

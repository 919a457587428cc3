"""Second pass of ranking: the best first-pass matches gain when a query chunk occurs verbatim in the
title or the body.

Matching and ranking on word terms visits every matching document cheaply; checking character positions
in every match for the exact chunk is what made broad queries slow (a phrase query scans each matching
document's positions). So, like Elasticsearch's `rescore`, the first pass ranks without it and only the
best RESCORE_WINDOW documents are re-ranked, with the bonus tantivy's phrase query would have given: BM25
of the chunk's occurrences, weighted by the summed idf of its characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from core.search.analysis import char_terms, fold, written_forms
from core.search.highlight import SCAN_CHARS

# The best first-pass matches re-ranked: the same number for every page, page size and variant of a
# query, so that pages neither repeat nor skip a document.
RESCORE_WINDOW = 100
EXACT_TITLE_BOOST = 4.0
EXACT_TEXT_BOOST = 1.5
MAX_CHUNKS = 8  # space-separated chunks of a query that count (the query builder's limit too)
K1, B = 1.2, 0.75  # tantivy's BM25 constants


def exact_chunks(query: str) -> list[str]:
    """The query's space-separated chunks as they would appear in a body (folded, no spaces)."""
    out = []
    for chunk in query.split()[:MAX_CHUNKS]:
        if char_terms(chunk):
            out.append(match_form(fold(chunk)))
    return list(dict.fromkeys(out))


def idf(num_docs: int, doc_freq: int) -> float:
    """BM25 inverse document frequency as tantivy computes it."""
    return math.log(1.0 + (num_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def match_form(text: str) -> str:
    """A title or body as exact chunks are looked for in it: lower case, no whitespace, otherwise as written.

    Folding whole bodies (script, width) would cost ~20x more per body; instead chunks are looked for in
    every way a page may write them (`written_forms`: as folded, traditional, full-width ASCII).
    """
    return "".join(text[:SCAN_CHARS].lower().split())


@dataclass(frozen=True)
class Field:
    """One field's side of the bonus: its texts over the window (in `match_form`), the query chunks with
    their idf sums in that field, and the field's boost."""

    texts: Sequence[str]
    chunks: Sequence[tuple[str, float]]
    boost: float


def rescored(scores: Sequence[float], fields: Sequence[Field]) -> list[float]:
    """First-pass scores plus, per field, boost × BM25 of each chunk found verbatim in the document's
    text; text lengths are normalised by their mean over the window."""
    out = list(scores)
    for field in fields:
        if not field.chunks or not field.texts:
            continue
        mean = sum(len(t) for t in field.texts) / len(field.texts) or 1.0
        written = [(written_forms(chunk), weight) for chunk, weight in field.chunks]
        for i, text in enumerate(field.texts):
            norm = K1 * (1 - B + B * len(text) / mean)
            for options, weight in written:
                tf = sum(text.count(form) for form in options)
                if tf:
                    out[i] += field.boost * weight * (1 + K1) * tf / (tf + norm)
    return out

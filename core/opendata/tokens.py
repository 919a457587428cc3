"""Search tokens for Postgres full-text search (`simple` config): CJK character bigrams and Latin/digit words.

Bigrams need no dictionary and find any two-character word inside a compound (公交 in 公交线路), on the
index side and the query side alike, so the catalogue and the datastore share them; a single Han character
stands as itself.
"""

from __future__ import annotations

import functools
import re

_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
MAX_TOKENS = 4000  # per document: a tsvector has a 1 MB limit, and long notes add little after this


def tokens(text: str) -> list[str]:
    """The tokens of `text`, in order, duplicates kept (tsvector positions)."""
    out: list[str] = []
    for run in _RUN.findall(text or ""):
        if run[0].isascii() or not ("\u3400" <= run[0] <= "\u9fff" or "\uf900" <= run[0] <= "\ufaff"):
            out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        if len(out) >= MAX_TOKENS:
            break
    return out[:MAX_TOKENS]


def document_text(*parts: str) -> str:
    """The tokens of the parts as one space-separated string, for to_tsvector('simple', ...)."""
    return " ".join(t for part in parts for t in tokens(part))


@functools.lru_cache(maxsize=65_536)
def cell_text(cell: str) -> str:
    """document_text of one cell, remembered: a table's categories and codes repeat row after row."""
    return " ".join(tokens(cell))


def query_terms(query: str) -> list[str]:
    """The distinct tokens a query must all match (an empty list matches everything)."""
    return list(dict.fromkeys(tokens(query)))


def tsquery(query: str) -> str | None:
    """A to_tsquery('simple', ...) string requiring every token, or None when the query has none."""
    terms = query_terms(query)
    if not terms:
        return None
    # tokens are letters, digits or Han characters only, so quoting is enough to make each a lexeme
    return " & ".join("'" + t + "'" for t in terms)

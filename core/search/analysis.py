"""Turns text into what the engines index and query, with core.textzh: word terms and character tokens."""

from __future__ import annotations

import functools
import re

from core.textzh.analyzer import get_analyzer
from core.textzh.normalize import fold as _fold
from core.textzh.normalize import to_traditional

MAX_TERM_CHARS = 64
MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# One token per Han character, one per run of other letters/digits: an exact-substring index.
_CHAR_TOKEN = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Traditional-to-simplified, full-width-to-half-width and lower case: the form everything is matched in."""
    return _fold(text).lower()


_ALNUM = re.compile(r"[^\W_]")


def _clean(terms: list[str]) -> list[str]:
    """Lower-case terms of at most MAX_TERM_CHARS with a letter or digit; a term with spaces is split.

    One join/lower/split in C instead of per-term work: this runs over every term of every document.
    """
    parts = " ".join(terms).lower().split()
    return [p for p in parts if len(p) <= MAX_TERM_CHARS and (p.isalnum() or _ALNUM.search(p))]


def index_terms(text: str) -> list[str]:
    """Terms of a document field, words inside compounds included, repeated as often as they occur."""
    if not text:
        return []
    return _clean(get_analyzer().index_terms(fold(text)))


def query_terms(text: str) -> list[str]:
    """Distinct terms of a user query, in order, at most MAX_QUERY_TERMS."""
    text = text[:MAX_QUERY_CHARS]
    if not text.strip():
        return []
    return list(dict.fromkeys(_clean(get_analyzer().query_terms(fold(text)))))[:MAX_QUERY_TERMS]


def char_terms(text: str) -> list[str]:
    """Han characters one by one and other alphanumeric runs whole, folded: for exact phrases."""
    return _CHAR_TOKEN.findall(fold(text))


def normalize_keyword(text: str) -> str:
    """A whole value (a pinned query, a query compared to it) folded with spaces collapsed."""
    return _SPACES.sub(" ", fold(text)).strip()


def can_relax(query: str) -> bool:
    """Whether a search that found nothing may be retried needing only some of the query's terms."""
    return len(query_terms(query)) > 1


_FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


@functools.lru_cache(maxsize=8192)
def written_forms(term: str) -> tuple[str, ...]:
    """A folded term as a page may write it: as is, in traditional script, with full-width ASCII. Looking
    for each form costs far less than folding a whole page to find the term."""
    return tuple(dict.fromkeys((term, to_traditional(term), term.translate(_FULL_WIDTH))))

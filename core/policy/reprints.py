"""Reprint detection: 64-bit simhash over analyzer terms, split in four 16-bit bands for candidate lookup."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

from core.textzh import get_analyzer

BITS = 64
# Reprints differ by a site's header line or a 来源 note (3 bits or fewer). With 3 bits, one of the four
# bands is always identical (pigeonhole), so band equality finds every candidate. Policies written from
# the same boilerplate can come as close (the demo group's do), so a candidate must also share a title
# name or a 文号 (`is_reprint`): a reprint keeps both.
MAX_DISTANCE = 3
_MASK = (1 << BITS) - 1


def _term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "big")


# Lines a reprinting site adds around the text (来源, 转载, 发布时间, 浏览次数, 字号, 打印本页): not the document.
_CHROME = re.compile(r"来源|转载|转自|发布时间|发布日期|浏览次数|点击数|字号|打印本页|关闭窗口|责任编辑|编辑[:：]")
_CHROME_MAX = 60


def body_of(text: str) -> str:
    """The text without the short lines a site adds when it reprints a document."""
    return "\n".join(line for line in text.splitlines() if len(line) > _CHROME_MAX or not _CHROME.search(line))


def simhash(title: str, text: str) -> int:
    """Unsigned 64-bit simhash of a page's title and body, term frequencies as weights."""
    weights = Counter(get_analyzer().index_terms(f"{title}\n{body_of(text)}"))
    acc = [0] * BITS
    for term, w in weights.items():
        h = _term_hash(term)
        for bit in range(BITS):
            acc[bit] += w if h >> bit & 1 else -w
    return sum(1 << bit for bit in range(BITS) if acc[bit] > 0)


def distance(a: int, b: int) -> int:
    return ((a ^ b) & _MASK).bit_count()


def is_reprint(a: int, a_keys: Iterable[str], b: int, b_keys: Iterable[str]) -> bool:
    """Near-identical text and a shared title name or 文号."""
    return distance(a, b) <= MAX_DISTANCE and not set(a_keys).isdisjoint(b_keys)


def bands(h: int) -> tuple[int, int, int, int]:
    return (h & 0xFFFF, h >> 16 & 0xFFFF, h >> 32 & 0xFFFF, h >> 48 & 0xFFFF)


def to_signed(h: int) -> int:
    """As Postgres bigint stores it."""
    return h - (1 << BITS) if h >= 1 << (BITS - 1) else h


def to_unsigned(h: int) -> int:
    return h & _MASK

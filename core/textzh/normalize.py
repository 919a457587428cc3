"""Text folding shared by indexing and querying: simplified script, half-width ASCII, lower case, one space."""

from __future__ import annotations

import re
import threading
from typing import Any

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space
# Invisible characters crawled pages carry (zero-width space/joiners, BOM, soft hyphen) are dropped.
_INVISIBLE = dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD))
_TABLE = {**_FULLWIDTH, **_INVISIBLE}
_SPACES = re.compile(r"\s+")

_lock = threading.Lock()
_converters: dict[str, Any] = {}


def _opencc(config: str) -> Any:
    converter = _converters.get(config)
    if converter is None:
        with _lock:
            converter = _converters.get(config)
            if converter is None:
                import opencc

                converter = _converters[config] = opencc.OpenCC(config)
    return converter


def to_simplified(text: str) -> str:
    """Traditional Chinese to simplified (OpenCC t2s, phrase-aware)."""
    return str(_opencc("t2s").convert(text)) if text else text


def to_traditional(text: str) -> str:
    """Simplified Chinese to traditional (OpenCC s2t): how a folded term may be written in a page."""
    return str(_opencc("s2t").convert(text)) if text else text


def fold_char(char: str) -> str:
    """Fold one character the way `fold` would (no whitespace collapsing); may return ''."""
    folded = char.translate(_TABLE).lower()
    if folded and not folded.isascii():
        converted = to_simplified(folded)
        if len(converted) == len(folded):
            return converted
    return folded


def fold(text: str) -> str:
    """Traditional → simplified, full-width → half-width ASCII, lower-case Latin, whitespace collapsed."""
    if not text:
        return ""
    text = text.translate(_TABLE)
    if not text.isascii():
        text = to_simplified(text)
    return _SPACES.sub(" ", text.lower()).strip()

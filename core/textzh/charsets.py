"""Text in the encodings Chinese offices save it in: UTF-8 (with or without a byte-order mark), else GB18030,
which reads GBK and GB2312 as well (spreadsheets exported as CSV on Chinese Windows are GBK); and text Postgres
cannot take: a NUL character (U+0000), refused where a client sends it (schema.text_input, api.text_guard)."""

from __future__ import annotations

from typing import Any

ENCODINGS = ("utf-8-sig", "gb18030")
UNREADABLE = "the line is neither UTF-8 nor GB18030/GBK text"  # the reason an importer gives for such a line


def decode_line(raw: bytes | str) -> str | None:
    """One line as text, in the first of `ENCODINGS` that reads it whole; None when none does. A Chinese line
    in GBK is almost never valid UTF-8, so trying UTF-8 first does not misread it."""
    if isinstance(raw, str):
        return raw
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


NUL = "\x00"
NUL_REFUSAL = "text cannot hold a NUL character (U+0000)"


def holds_nul(value: Any) -> bool:
    """Whether a value, at any depth of lists and mappings (keys too), is or holds text with a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(v) for v in value)
    return False

"""Text in the encodings Chinese offices save it in: UTF-8 (with or without a byte-order mark), else GB18030,
which reads GBK and GB2312 as well (spreadsheets exported as CSV on Chinese Windows are GBK)."""

from __future__ import annotations

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

"""Decode fetched HTML to text: BOM, HTTP charset, <meta>, then detection, each declaration checked."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Decode with the superset a label really means on the web (WHATWG Encoding Standard): GB2312 and GBK
# pages routinely contain GB18030-only characters, Big5 pages HKSCS and cp950 ones, "latin1" pages cp1252.
SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
}
HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
PRESCAN_BYTES = 4096
# A declaration is trusted when at most this share of its non-ASCII bytes fails to decode, so one stray
# bad byte in a long page does not throw away a correct declaration.
MAX_BAD_SHARE = 0.01
# Valid UTF-8 overrides a legacy declaration only with this many non-ASCII bytes of evidence.
UTF8_EVIDENCE_BYTES = 16
PLAUSIBLE_RANGES = (
    (0x00A0, 0x024F),  # Latin-1 and Latin Extended (names, ©, °, ×)
    (0x2000, 0x27BF),  # general punctuation, symbols, arrows, box drawing, circled numbers
    (0x2E80, 0x9FFF),  # CJK radicals, punctuation, kana used in names, Extension A, unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF01, 0xFF60),  # full-width ASCII
    (0xFFE0, 0xFFEF),  # full-width signs
    (0x20000, 0x3134F),  # CJK extensions B–G
)
PLAUSIBLE_SHARE = 0.9
BINARY_MAGIC = (
    b"%PDF-",
    b"PK\x03\x04",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\xd0\xcf\x11\xe0",
    b"Rar!",
    b"\x1f\x8b",
)
WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """The text of `body` and the codec used, from its BOM, header, <meta> or, failing those, detection."""
    for bom, name in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace"), name
    head = body[:PRESCAN_BYTES]
    meta = META_CHARSET.search(head) or XML_ENCODING.search(head)
    declared = [
        header_charset(content_type),
        _meta_label(meta.group(1).decode("ascii", "replace")) if meta else None,
    ]
    for label in declared:
        codec = codec_for(label)
        if codec is None:
            continue
        text = _validated(body, codec)
        if text is not None:
            return text, codec
    return _detect(body)


def looks_binary(body: bytes) -> bool:
    """True for a file signature (PDF, Office, ZIP, images, gzip) or NUL bytes outside UTF-16/32 text."""
    if body.startswith(BINARY_MAGIC):
        return True
    return not body.startswith(WIDE_BOMS) and b"\x00" in body[:8192]


# Replacement characters, C0 controls other than tab/newline/form feed/carriage return, DEL and C1 controls.
_UNDECODABLE = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def undecodable_share(text: str) -> float:
    """The share of replacement and control characters in decoded text: high means it was never text."""
    sample = text[:20000]
    if not sample:
        return 0.0
    return len(_UNDECODABLE.findall(sample)) / len(sample)


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    m = HEADER_CHARSET.search(content_type)
    return m.group(1) if m else None


def codec_for(label: str | None) -> str | None:
    """The Python codec to decode a declared charset label with (its web superset), or None if unknown."""
    if not label:
        return None
    label = label.strip().lower()
    for candidate in (label, label.removeprefix("x-")):
        try:
            name = codecs.lookup(candidate).name
        except LookupError:
            continue
        return SUPERSETS.get(name, name)
    return None


def _meta_label(label: str) -> str:
    # A <meta> we could read as ASCII cannot really be UTF-16 (WHATWG: treat it as UTF-8).
    return "utf-8" if label.lower().startswith("utf-16") else label


def _validated(body: bytes, name: str) -> str | None:
    if not name.startswith("utf-") and _looks_utf8(body, min_bytes=UTF8_EVIDENCE_BYTES):
        # Enough valid multi-byte UTF-8 is practically never an accident: a stale legacy declaration lost.
        return None
    try:
        return body.decode(name)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = body.decode(name, errors="replace")
    non_ascii = sum(1 for b in body if b >= 0x80)
    if text.count("\ufffd") <= max(1, non_ascii * MAX_BAD_SHARE):
        return text
    return None


def _looks_utf8(body: bytes, *, min_bytes: int) -> bool:
    if body.isascii():
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(body) - len(text) >= min_bytes // 2 and _plausible(text)


def _plausible(text: str) -> bool:
    """Most non-ASCII characters are ones a Chinese government page uses (hanzi, CJK and Latin punctuation)."""
    others = [ch for ch in text if ord(ch) >= 0x80]
    if not others:
        return True
    good = sum(1 for ch in others if any(lo <= ord(ch) <= hi for lo, hi in PLAUSIBLE_RANGES))
    return good >= PLAUSIBLE_SHARE * len(others)


def _detect(body: bytes) -> tuple[str, str]:
    if body.isascii():
        return body.decode("ascii"), "ascii"
    if _looks_utf8(body, min_bytes=0):
        return body.decode("utf-8"), "utf-8"
    best = charset_normalizer.from_bytes(body).best()
    guess = codec_for(best.encoding) if best is not None else None
    # The detector is unreliable on short texts; on a Chinese site group GB18030 then Big5 come next.
    for name in dict.fromkeys(n for n in (guess, "gb18030", "big5hkscs") if n and n != "utf-8"):
        try:
            text = body.decode(name)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return text, name
    name = guess if guess and guess != "utf-8" else "gb18030"
    return body.decode(name, errors="replace"), name

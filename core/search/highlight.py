"""HTML-safe highlighting of matched terms: whole titles and a best window of body text."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from core.search.analysis import fold, written_forms

SNIPPET_CHARS = 160
_LEAD_CHARS = 24
SCAN_CHARS = 30_000  # matches further into a long text are not worth scanning the whole text for
_MAX_MATCHES = 500
_MAX_TERMS = 64


def highlight_terms(*groups: Sequence[str]) -> list[str]:
    """Folded, distinct, non-empty terms to mark, longest first so a compound wins over its parts."""
    terms = {fold(t).strip() for group in groups for t in group}
    return sorted((t for t in terms if t), key=lambda t: (-len(t), t))[:_MAX_TERMS]


def _matches(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    if not terms or not text:
        return []
    # Folding a whole body (script and width) costs ~20x more than looking for each term in every way
    # it may be written; forms of another length than the term are dropped so offsets stay exact.
    forms = sorted({f for t in terms for f in written_forms(t) if len(f) == len(t)}, key=lambda f: (-len(f), f))
    pattern = re.compile("|".join(re.escape(f) for f in forms))
    lowered = text.lower()
    haystack = lowered if len(lowered) == len(text) else text
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(haystack):
        spans.append(m.span())
        if len(spans) >= _MAX_MATCHES:
            break
    return spans


def _render(text: str, spans: Sequence[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[pos:s], quote=False))
        out.append("<em>" + html.escape(text[s:e], quote=False) + "</em>")
        pos = e
    out.append(html.escape(text[pos:end], quote=False))
    return "".join(out)


def highlight_all(text: str, terms: Sequence[str]) -> str:
    """The whole text, whitespace collapsed, escaped, every match wrapped in <em>."""
    text = " ".join(text.split())  # shown with whitespace collapsed, as the title of a hit
    return _render(text, _matches(text, terms), 0, len(text))


def _best_window(spans: Sequence[tuple[int, int]], size: int) -> int:
    """Start of the window of `size` characters covering the most matches (distinct ones count more)."""
    best_start, best_score = spans[0][0], -1
    for i, (s, _) in enumerate(spans):
        start = max(0, s - _LEAD_CHARS)
        covered = [sp for sp in spans[i:] if sp[1] <= start + size]
        score = len(covered)
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def snippet(text: str, terms: Sequence[str], size: int = SNIPPET_CHARS) -> str:
    """A window of about `size` characters around the densest matches, escaped, matches in <em>."""
    text = " ".join(text[:SCAN_CHARS].split())
    if len(text) <= size:
        return highlight_all(text, terms)
    spans = _matches(text, terms)
    start = _best_window(spans[:100], size) if spans else 0
    end = min(len(text), start + size)
    body = _render(text, spans, start, end)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")

"""The tantivy schema of the document index and the conversions between IndexDoc, tantivy and hits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import tantivy

from core.search.analysis import char_terms, index_terms, normalize_keyword
from core.search.models import FILTER_FIELDS, Copy, IndexDoc

# Bump when the schema or the analysis changes: a new version needs a rebuild (`begin_rebuild`).
SCHEMA_VERSION = 3  # 3: the `format` keyword field (datasets' resource formats)

# Pre-analysed fields hold space-joined folded terms, so tantivy's built-in `whitespace` tokenizer
# suffices and nothing custom has to be registered again each time an index is opened.
TERMS_TOKENIZER = "whitespace"
STORED_KEYWORDS = ("id", "url", "site", "kind", "issuer", "doc_no")
INDEXED_KEYWORDS = tuple(f for f in (*FILTER_FIELDS, "column", "validity") if f not in STORED_KEYWORDS)


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in STORED_KEYWORDS:
        sb.add_text_field(name, stored=True, tokenizer_name="raw", fast=name in FILTER_FIELDS)
    for name in INDEXED_KEYWORDS:
        sb.add_text_field(name, stored=False, tokenizer_name="raw", fast=name in FILTER_FIELDS)
    sb.add_text_field("doc_no_normalized", stored=False, tokenizer_name="raw")
    sb.add_text_field("pinned", stored=False, tokenizer_name="raw")
    # Display copies: stored, never indexed (a raw token of a long text would exceed tantivy's limit).
    sb.add_bytes_field("title", stored=True, indexed=False)
    sb.add_bytes_field("text", stored=True, indexed=False)
    # The reprints listed under this hit, as JSON [{"url", "site"}] (version 2).
    sb.add_bytes_field("copies", stored=True, indexed=False)
    # Word terms for recall and BM25; character positions for exact phrases and exclusions.
    sb.add_text_field("title_terms", stored=False, tokenizer_name=TERMS_TOKENIZER, index_option="freq")
    sb.add_text_field("text_terms", stored=False, tokenizer_name=TERMS_TOKENIZER, index_option="freq")
    sb.add_text_field("title_chars", stored=False, tokenizer_name=TERMS_TOKENIZER, index_option="position")
    sb.add_text_field("text_chars", stored=False, tokenizer_name=TERMS_TOKENIZER, index_option="position")
    sb.add_date_field("published_at", stored=True, indexed=True, fast=True)
    return sb.build()


def to_datetime(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


Analysed = tuple[str, str, str, str]  # title terms, text terms, title chars, text chars (space-joined)


def analyse(doc: IndexDoc) -> Analysed:
    """The slow, picklable part of indexing a document: it may run in another process."""
    return (
        " ".join(index_terms(doc.title)),
        " ".join(index_terms(doc.text)),
        " ".join(char_terms(doc.title)),
        " ".join(char_terms(doc.text)),
    )


def to_tantivy(doc: IndexDoc, analysed: Analysed | None = None) -> tantivy.Document:
    title_terms, text_terms, title_chars, text_chars = analysed or analyse(doc)
    out = tantivy.Document()
    for name in (*STORED_KEYWORDS, *INDEXED_KEYWORDS):
        values = doc.keyword_values(name) if name in FILTER_FIELDS else [getattr(doc, name)]
        for value in values:
            if value:
                out.add_text(name, value)
    if doc.doc_no_normalized:
        out.add_text("doc_no_normalized", doc.doc_no_normalized)
    for term in doc.pinned_terms:
        if normalize_keyword(term):
            out.add_text("pinned", normalize_keyword(term))
    out.add_bytes("title", doc.title.encode())
    out.add_bytes("text", doc.text.encode())
    if doc.copies:
        out.add_bytes("copies", json.dumps([{"url": c.url, "site": c.site} for c in doc.copies]).encode())
    out.add_text("title_terms", title_terms)
    out.add_text("text_terms", text_terms)
    out.add_text("title_chars", title_chars)
    out.add_text("text_chars", text_chars)
    if doc.published_at:
        out.add_date("published_at", to_datetime(doc.published_at))
    return out


def stored_fields(doc: tantivy.Document) -> dict[str, Any]:
    """The stored values of a hit, decoded: strings, bytes as text, the date as a date."""

    def first(name: str) -> Any:
        return doc.get_first(name)

    published = first("published_at")
    return {
        **{name: first(name) or "" for name in STORED_KEYWORDS},
        "title": (first("title") or b"").decode(),
        "text": (first("text") or b"").decode(),
        "published_at": published.date() if isinstance(published, datetime) else None,
        "copies": tuple(Copy(url=c["url"], site=c["site"]) for c in json.loads(first("copies") or b"[]")),
    }

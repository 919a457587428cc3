"""One line of a document import: validated, with 文号, date and kind derived from the text where missing."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from core.bus.events import PageFetched
from core.errors import Invalid
from core.sites import is_site_id
from core.textzh.charsets import UNREADABLE, decode_line
from core.textzh.dates import find_dates, parse_date
from core.textzh.docno import find_doc_nos, parse_doc_no

# The kinds an import may name (docs/import.md); crawled pages use the extractor's kinds.
KINDS: tuple[str, ...] = ("policy", "interpretation", "news", "notice", "service", "qa", "dataset", "newmedia", "page")
LEVELS: tuple[str, ...] = ("国家", "省", "市", "区县", "部门", "乡镇街道", "村社区")
MAX_TITLE_CHARS = 1000
MAX_FIELD_CHARS = 200
LEAD_LINE_CHARS = 200
LEAD_LINES = 5  # a 文号 or a date is looked for in the title and these first lines of the text
_INTERPRETATION = re.compile(r"解读|答记者问|一图读懂|图解")
_SERVICE = re.compile(r"办事指南|服务指南|办理指南|申报指南|申领指南|办事指引")
_TEXT_FIELDS = ("site", "kind", "published_at", "doc_no", "issuer", "department", "region", "level", "validity")
_LIST_FIELDS = ("theme", "audience")


@dataclass(frozen=True, kw_only=True)
class ImportRecord:
    """A valid import line; `meta` holds the 政府信息公开 fields the document store keeps."""

    line: int
    url: str
    title: str
    text: str
    kind: str
    site: str | None
    published_at: date | None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_event(self, site_id: str) -> PageFetched:
        """The page event the document store applies, with a hash of everything imported."""
        published = self.published_at.isoformat() if self.published_at else None
        content = {
            "site": site_id,
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "published_at": published,
            "meta": self.meta,
        }
        digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return PageFetched(
            site_id=site_id,
            url=self.url,
            status=200,
            content_hash=digest,
            fetched_at=datetime.now(UTC).isoformat(),
            kind=self.kind,
            title=self.title,
            text=self.text,
            published_at=published,
            meta=self.meta,
            source="import",
        )


def _required(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid(f"missing {name}")
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string")
    return value.strip()


def _optional(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string")
    if len(value) > MAX_FIELD_CHARS:
        raise Invalid(f"{name} too long: {len(value)} characters (at most {MAX_FIELD_CHARS})")
    return value.strip() or None


def _list(raw: dict[str, Any], name: str) -> list[str]:
    value = raw.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"\s*[、,，;；/|]\s*", value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name} must be a string or a list of strings")
    return [v.strip() for v in value if v.strip()]


def lead_lines(text: str) -> list[str]:
    """The first non-empty lines of a text, where 文号 and dates of official documents stand; each line at
    most LEAD_LINE_CHARS (a text without line breaks is one long line, and scanning all of it for a 文号
    cost 2.4 ms a document: most of an import's time)."""
    lines = [line.strip()[:LEAD_LINE_CHARS] for line in text[:3000].splitlines() if line.strip()]
    return lines[:LEAD_LINES]


def derive_doc_no(title: str, text: str, *, interpretation: bool) -> tuple[str, str] | None:
    """(文号 as written, normalised) from the title, or from a lead line that holds little else.

    An interpretation's title quotes the 文号 of the policy it explains, so it is not its own.
    A 文号 inside a sentence of the text usually cites another document, so only a line that is
    mostly the 文号 (its own line under the header, or 发文字号：…) counts.
    """
    if not interpretation:
        found = find_doc_nos(title)
        if found:
            return found[0].raw or found[0].normalized, found[0].normalized
    for line in lead_lines(text):
        found = find_doc_nos(line) or ([d] if (d := parse_doc_no(line)) else [])
        if found and len(line) <= len(found[0].raw or found[0].normalized) + 8:
            return found[0].raw or found[0].normalized, found[0].normalized
    return None


def derive_kind(title: str, has_doc_no: bool) -> str:
    """解读 in the title: interpretation; a 文号: policy; 办事指南 in the title: service; else page."""
    if _INTERPRETATION.search(title):
        return "interpretation"
    if has_doc_no:
        return "policy"
    if _SERVICE.search(title):
        return "service"
    return "page"


def _meta(raw: dict[str, Any], values: dict[str, str | None]) -> dict[str, Any]:
    meta: dict[str, Any] = {k: values[k] for k in ("issuer", "department", "region", "level", "validity") if values[k]}
    for name in _LIST_FIELDS:
        if items := _list(raw, name):
            meta[name] = items
    return meta


def _load(raw_line: str | bytes) -> dict[str, Any]:
    text = decode_line(raw_line)
    if text is None:
        raise Invalid(UNREADABLE)
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise Invalid(f"bad JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise Invalid("not a JSON object")
    return raw


def _body(raw: dict[str, Any], max_text_chars: int) -> tuple[str, str, str]:
    """(url, title, text), each present and within its limits."""
    url, title, text = _required(raw, "url"), _required(raw, "title"), _required(raw, "text")
    if not re.match(r"^https?://[^\s/]+", url, re.I):
        raise Invalid(f"url is not http(s): {url[:100]}")
    if len(title) > MAX_TITLE_CHARS:
        raise Invalid(f"title too long: {len(title)} characters (at most {MAX_TITLE_CHARS})")
    if len(text) > max_text_chars:
        raise Invalid(f"text too long: {len(text)} characters (at most {max_text_chars})")
    return url, title, text


def _text_fields(raw: dict[str, Any]) -> dict[str, str | None]:
    values = {name: _optional(raw, name) for name in _TEXT_FIELDS}
    if values["kind"] and values["kind"] not in KINDS:
        raise Invalid(f"unknown kind {values['kind']!r} (one of {', '.join(KINDS)})")
    if values["level"] and values["level"] not in LEVELS:
        raise Invalid(f"unknown level {values['level']!r} (one of {', '.join(LEVELS)})")
    if values["site"] and not is_site_id(values["site"]):
        raise Invalid(f"unknown site {values['site']!r}")
    return values


def _published(given: str | None, text: str) -> date | None:
    """The date given, else the first date in the lead lines of the text."""
    if given:
        published = parse_date(given)
        if published is None:
            raise Invalid(f"published_at is not a date: {given!r}")
        return published
    dates = find_dates("\n".join(lead_lines(text)))
    return dates[0] if dates else None


def _doc_no(given: str | None, title: str, text: str) -> tuple[str, str] | None:
    """(文号 as written, normalised): the one given (normalised when it parses), else one derived."""
    if given:
        parsed = parse_doc_no(given)
        return given, parsed.normalized if parsed else ""
    return derive_doc_no(title, text, interpretation=bool(_INTERPRETATION.search(title)))


def parse_record(raw_line: str | bytes, line: int, *, max_text_chars: int) -> ImportRecord:
    """Validate and complete one JSONL line; Invalid carries the reason shown to the user."""
    raw = _load(raw_line)
    url, title, text = _body(raw, max_text_chars)
    values = _text_fields(raw)
    published = _published(values["published_at"], text)
    meta = _meta(raw, values)
    doc_no = _doc_no(values["doc_no"], title, text)
    if doc_no:
        meta["doc_no"] = doc_no[0]
        if doc_no[1]:
            meta["doc_no_normalized"] = doc_no[1]
    kind = values["kind"] or derive_kind(title, doc_no is not None)
    return ImportRecord(
        line=line, url=url, title=title, text=text, kind=kind, site=values["site"], published_at=published, meta=meta
    )

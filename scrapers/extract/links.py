"""Outgoing links and downloadable attachments, with absolute URLs."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scrapers.extract.dom import squash, text_of
from scrapers.extract.model import Attachment, Link

ATTACHMENT_TYPES = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "et",
        "wps",
        "ppt",
        "pptx",
        "ofd",
        "txt",
        "csv",
        "rtf",
        "zip",
        "rar",
        "7z",
        "tar",
        "gz",
        "xml",
        "json",
        "dwg",
        "ceb",
        "caj",
    ]
)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "sms:", "weixin:")
_SIZE = re.compile(r"[（(\[]\s*(\d+(?:\.\d+)?\s*(?:[KMG]i?B|[KMG]|字节|bytes?))\s*[）)\]]", re.I)


def base_url(tree: LexborHTMLParser, url: str) -> str:
    base = tree.css_first("base[href]")
    href = (base.attributes.get("href") or "").strip() if base is not None else ""
    return urljoin(url, href) if href else url


def absolute(base: str, href: str | None) -> str | None:
    """href resolved against base, or None for javascript:, mailto:, tel: and same-page anchors."""
    href = (href or "").strip().replace("\\", "/")
    if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
        return None
    try:
        full = urljoin(base, href)
    except ValueError:
        return None
    if urlsplit(full).scheme not in ("http", "https", "ftp"):
        return None
    return full.split("#", 1)[0]


def extension(url: str) -> str:
    path = urlsplit(url).path.rsplit("/", 1)[-1]
    return path.rsplit(".", 1)[-1].lower() if "." in path else ""


def _anchor_text(a: LexborNode) -> str:
    text = text_of(a)
    return text or squash(a.attributes.get("title") or "")


def links(tree: LexborHTMLParser, base: str) -> list[Link]:
    out: list[Link] = []
    seen: set[str] = set()
    for a in tree.css("a[href]"):
        url = absolute(base, a.attributes.get("href"))
        if url is None or url in seen:
            continue
        seen.add(url)
        out.append(Link(url=url, text=_anchor_text(a)))
    return out


def _size_near(a: LexborNode) -> str | None:
    texts = [text_of(a)]
    sibling = a.next
    if sibling is not None:
        texts.append(squash(sibling.text_content if sibling.is_text_node else text_of(sibling))[:40])
    for text in texts:
        m = _SIZE.search(text)
        if m:
            return m.group(1).replace(" ", "").upper().replace("字节", "B")
    return None


def attachments(tree: LexborHTMLParser, base: str) -> list[Attachment]:
    """Links to files (pdf, doc, xls, ofd, zip …), named by their anchor text, with the size when stated."""
    out: list[Attachment] = []
    seen: set[str] = set()
    for a in tree.css("a[href]"):
        url = absolute(base, a.attributes.get("href"))
        if url is None or url in seen:
            continue
        kind = extension(url)
        if kind not in ATTACHMENT_TYPES:
            continue
        seen.add(url)
        name = _SIZE.sub("", _anchor_text(a)).strip() or url.rsplit("/", 1)[-1]
        out.append(Attachment(name=name, url=url, type=kind, size=_size_near(a)))
    return out

"""Outgoing links and downloadable attachments, with absolute URLs."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scrapers.extract.dom import squash, text_of
from scrapers.extract.model import Attachment, Link

# The files a document carries. Not xml/json/rss: on a page those are feeds, sitemaps and APIs, not attachments.
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
        "dwg",
        "ceb",
        "caj",
    ]
)
IMAGE_TYPES = frozenset(["jpg", "jpeg", "png", "gif", "bmp", "webp", "tif", "tiff"])
ICON_PX = 32  # an image declared this small or smaller is an icon or a spacer, not something the document carries
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


def _is_feed(a: LexborNode) -> bool:
    """A subscription link (rel="alternate", an RSS/Atom type), whatever its file name says."""
    rel = (a.attributes.get("rel") or "").lower()
    kind = (a.attributes.get("type") or "").lower()
    return "alternate" in rel or kind.endswith(("rss+xml", "atom+xml"))


def attachments(tree: LexborHTMLParser, base: str) -> list[Attachment]:
    """Links to files (pdf, doc, xls, ofd, zip …), named by their anchor text, with the size when stated."""
    out: list[Attachment] = []
    seen: set[str] = set()
    for a in tree.css("a[href]"):
        url = absolute(base, a.attributes.get("href"))
        if url is None or url in seen:
            continue
        kind = extension(url)
        if kind not in ATTACHMENT_TYPES or _is_feed(a):
            continue
        seen.add(url)
        name = _SIZE.sub("", _anchor_text(a)).strip() or url.rsplit("/", 1)[-1]
        out.append(Attachment(name=name, url=url, type=kind, size=_size_near(a)))
    return out


def _declared_px(img: LexborNode, name: str) -> int | None:
    value = (img.attributes.get(name) or "").strip().lower().removesuffix("px")
    return int(value) if value.isdigit() else None


def body_images(body: LexborNode, base: str) -> list[Attachment]:
    """Images in the main text (a scanned notice, a chart): named by alt or title, icons and spacers left out."""
    out: list[Attachment] = []
    seen: set[str] = set()
    for img in body.css("img[src]"):
        url = absolute(base, img.attributes.get("src"))
        kind = extension(url) if url else ""
        if url is None or url in seen or kind not in IMAGE_TYPES:
            continue
        sizes = [px for px in (_declared_px(img, "width"), _declared_px(img, "height")) if px is not None]
        if sizes and min(sizes) <= ICON_PX:
            continue
        seen.add(url)
        name = squash(img.attributes.get("alt") or img.attributes.get("title") or "") or url.rsplit("/", 1)[-1]
        out.append(Attachment(name=name, url=url, type=kind))
    return out

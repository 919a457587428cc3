"""RSS 2.0, Atom and JSON Feed into FeedItems; XML with a DTD or entity declarations is refused."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from core.errors import Invalid
from core.textzh.dates import parse_datetime
from scrapers.extract.dom import parse, squash

__all__ = ["FeedItem", "parse_feed"]

MAX_FEED_BYTES = 20_000_000
_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
_UNSAFE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed: absolute link, title, summary text and publication time when given."""

    url: str
    title: str
    summary: str = ""
    published: datetime | None = None
    id: str | None = None


def _text(html_or_text: str | None) -> str:
    """Feed summaries are often HTML: keep their text only."""
    if not html_or_text:
        return ""
    if "<" not in html_or_text:
        return squash(html_or_text)
    tree = parse(html_or_text)
    return squash(tree.body.text(separator=" ") if tree.body is not None else "")


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    try:
        return parsedate_to_datetime(value)  # RFC 822, as RSS writes it
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))  # RFC 3339, as Atom and JSON Feed write it
    except ValueError:
        return parse_datetime(value)


def _child_text(node: ET.Element, *tags: str) -> str | None:
    for tag in tags:
        found = node.find(tag)
        if found is not None and (found.text or "").strip():
            return (found.text or "").strip()
    return None


def _rss(root: ET.Element, base: str) -> list[FeedItem]:
    items = []
    for item in root.iter("item"):
        link = _child_text(item, "link") or _child_text(item, "guid") or ""
        items.append(
            FeedItem(
                url=urljoin(base, link),
                title=_text(_child_text(item, "title")),
                summary=_text(_child_text(item, "description", _CONTENT)),
                published=_when(_child_text(item, "pubDate", _DC_DATE)),
                id=_child_text(item, "guid"),
            )
        )
    return items


def _atom_link(entry: ET.Element) -> str:
    links = entry.findall(f"{_ATOM}link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href") or ""
    return (links[0].get("href") or "") if links else ""


def _atom(root: ET.Element, base: str) -> list[FeedItem]:
    items = []
    for entry in root.iter(f"{_ATOM}entry"):
        items.append(
            FeedItem(
                url=urljoin(base, _atom_link(entry)),
                title=_text(_child_text(entry, f"{_ATOM}title")),
                summary=_text(_child_text(entry, f"{_ATOM}summary", f"{_ATOM}content")),
                published=_when(_child_text(entry, f"{_ATOM}published", f"{_ATOM}updated")),
                id=_child_text(entry, f"{_ATOM}id"),
            )
        )
    return items


def _json_feed(body: str, base: str) -> list[FeedItem]:
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise Invalid("not a JSON Feed: no items list")
    items = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url") or ""
        summary = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
        items.append(
            FeedItem(
                url=urljoin(base, str(link)),
                title=_text(str(item.get("title") or "")),
                summary=_text(str(summary)),
                published=_when(item.get("date_published") or item.get("date_modified")),
                id=str(item["id"]) if item.get("id") is not None else None,
            )
        )
    return items


def parse_feed(body: bytes | str, url: str) -> list[FeedItem]:
    """The items of an RSS 2.0, Atom or JSON Feed document; raises Invalid for anything else or unsafe XML."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_FEED_BYTES:
        raise Invalid("feed too large", size=len(raw))
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        try:
            return _json_feed(stripped.decode("utf-8"), url)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Invalid("feed is not valid JSON", error=str(exc)) from exc
    if _UNSAFE.search(raw):
        raise Invalid("feed declares a DTD or entities; refused")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise Invalid("feed is not well-formed XML", error=str(exc)) from exc
    if root.tag == f"{_ATOM}feed":
        return _atom(root, url)
    if root.tag in ("rss", "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF") or root.find("channel") is not None:
        return _rss(root, url)
    raise Invalid("not an RSS, Atom or JSON feed", root=root.tag)

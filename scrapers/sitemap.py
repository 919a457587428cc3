"""sitemap.xml (urlset and sitemap index) read into URLs with their lastmod; found via robots.txt or /sitemap.xml."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.errors import Invalid
from core.textzh.dates import parse_datetime
from scrapers.fetch import FetchResult

_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_UNSAFE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
MAX_SITEMAPS = 20  # per crawl: an index of indexes must not become its own crawl
MAX_URLS = 50_000  # the sitemap protocol's limit for one file, also ours for one crawl

Fetch = Callable[[str], Awaitable[FetchResult]]


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> of a sitemap: where, and when it last changed (UTC) when the site says so."""

    url: str
    lastmod: datetime | None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _lastmod(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_sitemap(body: bytes) -> tuple[list[SitemapEntry], list[str]]:
    """(page entries, child sitemap URLs) of a urlset or a sitemap index; raises Invalid otherwise."""
    # The whole body, not its head: a DTD may hide after a long comment. NUL bytes mean a wide encoding
    # (UTF-16/32) in which the byte pattern would not show, so such a sitemap is refused as well.
    if _UNSAFE.search(body) or b"\x00" in body:
        raise Invalid("sitemap declares a DTD or entities, or is not in an ASCII-compatible encoding; refused")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise Invalid("sitemap is not well-formed XML", error=str(exc)) from exc
    entries: list[SitemapEntry] = []
    children: list[str] = []
    for node in root:
        loc = next((c.text.strip() for c in node if _local(c.tag) == "loc" and c.text), None)
        if not loc:
            continue
        if _local(root.tag) == "sitemapindex":
            children.append(loc)
        elif _local(root.tag) == "urlset":
            mod = next((c.text for c in node if _local(c.tag) == "lastmod"), None)
            entries.append(SitemapEntry(loc, _lastmod(mod)))
    if _local(root.tag) not in ("urlset", "sitemapindex"):
        raise Invalid("not a sitemap", root=root.tag)
    return entries, children


async def read_sitemaps(fetch: Fetch, roots: list[str]) -> tuple[list[SitemapEntry], list[FetchResult]]:
    """Every page entry reachable from `roots` (indexes followed), and each fetch made, for the fetch log."""
    entries: list[SitemapEntry] = []
    fetches: list[FetchResult] = []
    todo, seen = list(roots), set(roots)
    while todo and len(fetches) < MAX_SITEMAPS and len(entries) < MAX_URLS:
        res = await fetch(todo.pop(0))
        fetches.append(res)
        if not res.ok or res.body is None:
            continue
        try:
            found, children = parse_sitemap(res.body)
        except Invalid as exc:
            res.error, res.detail = "bad_sitemap", exc.message
            continue
        entries.extend(found[: MAX_URLS - len(entries)])
        todo.extend(c for c in children if c not in seen)
        seen.update(children)
    return entries, fetches

"""New-media sources: the FeedConnector interface for platform APIs, and its RSS/Atom/JSON Feed implementation."""

from __future__ import annotations

import abc
import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.bus import PageFetched
from core.errors import Invalid
from scrapers.extract.feeds import FeedItem, parse_feed
from scrapers.fetch import FetchResult
from scrapers.pages import digest, now_iso

Fetch = Callable[[str], Awaitable[FetchResult]]
_ATOM = "{http://www.w3.org/2005/Atom}"
SUMMARY_CAP = 20_000


@dataclass(frozen=True)
class Account:
    """What a connector read from one source: the account's name, its latest items, and the fetches made."""

    source: str
    name: str
    items: list[FeedItem] = field(default_factory=list)
    fetches: list[FetchResult] = field(default_factory=list)
    error: str | None = None
    not_modified: bool = False  # the source said nothing changed since it was last read (HTTP 304)


class FeedConnector(abc.ABC):
    """Reads one kind of new-media source (a feed URL, a WeChat or Weibo mirror API) into an Account."""

    @abc.abstractmethod
    def accepts(self, source: str) -> bool:
        """True when this connector knows how to read `source` (as written in the site's `feeds`)."""

    @abc.abstractmethod
    async def read(self, source: str) -> Account:
        """The account behind `source` with its latest items; never raises for a broken source."""


class WebFeedConnector(FeedConnector):
    """RSS 2.0, Atom and JSON Feed over HTTP(S), fetched through the crawler's polite fetch."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch

    def accepts(self, source: str) -> bool:
        return source.startswith(("http://", "https://"))

    async def read(self, source: str) -> Account:
        res = await self._fetch(source)
        if res.not_modified:
            return Account(source, source, fetches=[res], not_modified=True)
        if not res.ok or res.body is None:
            return Account(source, source, fetches=[res], error=res.error or "empty_body")
        try:
            items = parse_feed(res.body, res.final_url)
        except Invalid as exc:
            res.error, res.detail = "bad_feed", exc.message
            return Account(source, source, fetches=[res], error="bad_feed")
        name = feed_title(res.body) or urlsplit(source).netloc
        return Account(source, name, items=items, fetches=[res])


def pick_connector(connectors: Sequence[FeedConnector], source: str) -> FeedConnector | None:
    """The first connector that accepts `source` (platform connectors go before the generic feed one)."""
    return next((c for c in connectors if c.accepts(source)), None)


def feed_title(body: bytes) -> str | None:
    """The feed's own title (the account name): RSS channel/title, Atom feed/title or JSON Feed title."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    try:
        if stripped.startswith(b"{"):
            title = json.loads(stripped).get("title")
            return str(title).strip() or None if title else None
        root = ET.fromstring(stripped)  # parse_feed already refused DTDs and entities
    except (ValueError, ET.ParseError, AttributeError):
        return None
    node = root.find("channel/title")
    if node is None:
        node = root.find(f"{_ATOM}title")
    return (node.text or "").strip() or None if node is not None else None


def item_event(site_id: str, account: Account, item: FeedItem, crawl_id: int) -> PageFetched:
    """A feed item as a `newmedia` document at the item URL: the account is its source and column."""
    published = item.published.date().isoformat() if item.published else None
    kept = {"title": item.title, "summary": item.summary, "published": published, "account": account.name}
    return PageFetched(
        site_id=site_id,
        url=item.url,
        status=200,
        content_hash=digest(kept),
        fetched_at=now_iso(),
        kind="newmedia",
        title=item.title[:1000],
        text=item.summary[:SUMMARY_CAP],
        published_at=published,
        column=account.name,
        meta={"account": account.name, "feed": account.source, "item_id": item.id},
        crawl_id=crawl_id,
        source="feed",
    )

"""From an extracted page, feed item or data set to a `crawl.page` event, and publishing only what changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from core.bus import Bus, PageFetched
from core.documents import stored_hashes
from scrapers.extract import Extracted
from scrapers.extract.links import IMAGE_TYPES

# Files are links to check, not pages to crawl: they are kept as attachments and never fetched as pages.
_DOCUMENTS = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps", "ofd", "txt", "csv")
_ARCHIVES = ("zip", "rar", "7z", "gz", "tar")
_IMAGES = ("jpg", "jpeg", "png", "gif", "bmp", "webp", "svg")
_MEDIA = ("mp3", "mp4", "avi", "mov", "wmv", "flv", "swf")
_PROGRAMS = ("exe", "apk")
FILE_EXTENSIONS = frozenset(_DOCUMENTS + _ARCHIVES + _IMAGES + _MEDIA + _PROGRAMS)


def is_file_url(url: str) -> bool:
    name = urlsplit(url).path.lower().rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1] in FILE_EXTENSIONS


def digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def content_hash(ex: Extracted) -> str:
    """Hash of what we keep (not the raw bytes), so a changed timestamp in a page footer is not a change."""
    # Built by hand rather than through dataclasses.asdict: this runs for every page fetched.
    h = hashlib.sha256()
    for part in (ex.kind, ex.title, ex.text, ex.column or "", *ex.breadcrumb, str(ex.published_at)):
        h.update(part.encode())
        h.update(b"\x1f")
    for name, value in ex.meta.items():
        h.update(f"\x1e{name}={value}".encode())
    for a in ex.attachments:
        h.update(f"\x1d{a.name}\x1f{a.url}\x1f{a.type}\x1f{a.size}".encode())
    for link in ex.links:
        h.update(f"\x1c{link.url}\x1f{link.text}".encode())
    return h.hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def page_event(site_id: str, url: str, ex: Extracted, hash_: str, crawl_id: int, text_cap: int) -> PageFetched:
    kinds = {a.url: "image" if a.type in IMAGE_TYPES else "attachment" for a in ex.attachments}
    dates = {
        k: v.isoformat()
        for k, v in (("written_date", ex.meta.written_date), ("published_date", ex.meta.published_date))
        if v
    }
    return PageFetched(
        site_id=site_id,
        url=url,
        status=200,
        content_hash=hash_,
        fetched_at=now_iso(),
        kind=ex.kind,
        title=ex.title[:1000],
        text=ex.text[:text_cap],
        published_at=ex.published_at.isoformat() if ex.published_at else None,
        column=ex.column,
        breadcrumb=list(ex.breadcrumb),
        meta=ex.meta.as_dict() | dates,
        crawl_id=crawl_id,
        attachments=[{"name": a.name, "url": a.url, "type": a.type, "size": a.size} for a in ex.attachments],
        links=[{"url": link.url, "text": link.text, "kind": kinds.get(link.url, "link")} for link in ex.links[:1000]],
    )


def gone_event(site_id: str, url: str, status: int, crawl_id: int) -> PageFetched:
    return PageFetched(
        site_id=site_id, url=url, status=status, content_hash="", fetched_at=now_iso(), gone=True, crawl_id=crawl_id
    )


async def publish_changed(pool: asyncpg.Pool, bus: Bus, events: Sequence[PageFetched]) -> int:
    """Publish the events whose content differs from the stored document (feed items, data sets)."""
    if not events:
        return 0
    stored = await stored_hashes(pool, [e.url for e in events])
    changed = [e for e in events if stored.get(e.url) != e.content_hash]
    for event in changed:
        await bus.publish(event)
    return len(changed)

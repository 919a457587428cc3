"""One crawl of one site: fetch what is due, extract it, stream each change as a `crawl.page` event."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from core.bus import Bus, PageFetched
from core.crawls import progress
from core.settings import Settings
from core.sites.service import Site
from scrapers import frontier
from scrapers.extract import Extracted, extract
from scrapers.fetch import Fetcher, FetchResult
from scrapers.politeness import LocalHostLimiter
from scrapers.robots import RobotsCache
from scrapers.urls import Scope, TrapDetector, canonicalize

log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Files are links to check, not pages to crawl: they are kept as attachments and never fetched as pages.
FILE_EXTENSIONS = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "wps",
        "et",
        "dps",
        "ofd",
        "zip",
        "rar",
        "7z",
        "gz",
        "tar",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "bmp",
        "webp",
        "svg",
        "mp3",
        "mp4",
        "avi",
        "mov",
        "wmv",
        "flv",
        "swf",
        "exe",
        "apk",
        "txt",
        "csv",
    ]
)


def is_file_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "." in path.rsplit("/", 1)[-1] and path.rsplit(".", 1)[-1] in FILE_EXTENSIONS


GONE_AFTER = 2  # consecutive 404/410 answers before a page is marked gone


@dataclass
class CrawlResult:
    """Counters of one crawl, also written to the crawls row as it goes."""

    fetched: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: int = 0
    gone: int = 0
    discovered: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if k != "reasons" and v]
        parts += [f"{k}:{v}" for k, v in sorted(self.reasons.items())]
        return " ".join(parts) or "nothing due"


def content_hash(ex: Extracted) -> str:
    """Hash of what we keep (not the raw bytes), so a changed timestamp in a page footer is not a change."""
    data = ex.as_dict()
    data.pop("url", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def page_event(site_id: str, url: str, ex: Extracted, digest: str, crawl_id: int, text_cap: int) -> PageFetched:
    files = {a.url for a in ex.attachments}
    return PageFetched(
        site_id=site_id,
        url=url,
        status=200,
        content_hash=digest,
        fetched_at=datetime.now(UTC).isoformat(),
        kind=ex.kind,
        title=ex.title[:1000],
        text=ex.text[:text_cap],
        published_at=ex.published_at.isoformat() if ex.published_at else None,
        column=ex.column,
        breadcrumb=list(ex.breadcrumb),
        meta=ex.meta.as_dict() | _dates(ex),
        crawl_id=crawl_id,
        attachments=[{"name": a.name, "url": a.url, "type": a.type, "size": a.size} for a in ex.attachments],
        links=[
            {"url": link.url, "text": link.text, "kind": "attachment" if link.url in files else "link"}
            for link in ex.links[:1000]
        ],
    )


def _dates(ex: Extracted) -> dict[str, str]:
    return {
        k: v.isoformat()
        for k, v in (("written_date", ex.meta.written_date), ("published_date", ex.meta.published_date))
        if v
    }


class Crawler:
    """Crawls a site within its scope and limits; state lives in Postgres so a crawl can resume."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool, bus: Bus) -> None:
        self.settings = settings
        self.pool = pool
        self.bus = bus

    async def crawl(self, site: Site, crawl_id: int) -> CrawlResult:
        cfg = site.config
        starts = [u for u in (canonicalize(x) for x in cfg.get("start_urls", [])) if u]
        scope = Scope.for_site(
            starts[0],
            extra_hosts=tuple(cfg.get("allowed_hosts") or ()),
            excluded_prefixes=tuple(cfg.get("exclude") or ()),
            max_depth=cfg.get("max_depth") or self.settings.crawl_max_depth,
        )
        await frontier.seed(self.pool, site.id, crawl_id, starts, datetime.now(UTC))
        max_pages = cfg.get("max_pages") or self.settings.crawl_max_pages
        concurrency = cfg.get("concurrency") or self.settings.crawl_concurrency
        delay = float(cfg["delay_s"]) if cfg.get("delay_s") is not None else self.settings.crawl_host_delay_s
        result = CrawlResult()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": self.settings.crawl_user_agent}) as s:
            fetcher = Fetcher(
                s,
                user_agent=self.settings.crawl_user_agent,
                timeout_s=self.settings.crawl_timeout_s,
                max_body_bytes=self.settings.crawl_max_body_bytes,
                robots=RobotsCache(s, user_agent=self.settings.crawl_user_agent),
                limiter=LocalHostLimiter(concurrency=concurrency, delay_s=delay),
                hop_check=lambda url: scope.allows(url),
            )
            run = _SiteRun(self, site, crawl_id, scope, fetcher, result)
            last_report = 0.0
            while result.fetched < max_pages:
                batch = await frontier.claim(self.pool, crawl_id, min(concurrency * 4, max_pages - result.fetched))
                if not batch:
                    break
                await asyncio.gather(*(run.one(u) for u in batch))
                if time.monotonic() - last_report > 1.0:
                    await run.report()
                    last_report = time.monotonic()
            await run.report()
        log.info("crawl finished", extra={"site": site.id, "crawl_id": crawl_id, "summary": result.summary()})
        return result


class _SiteRun:
    """The per-crawl state shared by the fetch tasks."""

    def __init__(
        self, crawler: Crawler, site: Site, crawl_id: int, scope: Scope, fetcher: Fetcher, result: CrawlResult
    ) -> None:
        self.c, self.site, self.crawl_id, self.scope = crawler, site, crawl_id, scope
        self.fetcher, self.result = fetcher, result
        self.traps = TrapDetector()

    async def report(self) -> None:
        r = self.result
        queued = await frontier.pending_count(self.c.pool, self.crawl_id)
        await progress(self.c.pool, self.crawl_id, fetched=r.fetched, changed=r.changed, errors=r.errors, queued=queued)

    def _count(self, reason: str) -> None:
        self.result.reasons[reason] = self.result.reasons.get(reason, 0) + 1

    async def one(self, u: frontier.FrontierUrl) -> None:
        res = await self.fetcher.fetch(u.url, etag=u.etag, last_modified=u.last_modified)
        self.result.fetched += 1
        await frontier.log_fetch(
            self.c.pool,
            [(self.crawl_id, self.site.id, u.url, res.status, res.error, res.elapsed_ms, len(res.body or b""))],
        )
        sched = self.site.schedule_s
        common = {"etag": res.etag, "last_modified": res.last_modified}
        if res.not_modified:
            self.result.unchanged += 1
            await frontier.record(
                self.c.pool,
                self.site.id,
                u.url,
                state="done",
                status=304,
                kind=None,
                content_hash=None,
                not_found=0,
                reason=None,
                recheck_s=frontier.recheck_after_s(u.kind or "other", sched),
                **common,
            )
        elif res.status in (404, 410):
            await self._not_found(u, res)
        elif not res.ok or not res.text:
            self.result.errors += 1
            self._count(res.error or "empty")
            await frontier.record(
                self.c.pool,
                self.site.id,
                u.url,
                state="failed",
                status=res.status,
                kind=None,
                content_hash=None,
                not_found=0,
                reason=res.error or "empty_body",
                recheck_s=frontier.recheck_after_s("failed", sched),
                **common,
            )
        else:
            await self._page(u, res)

    async def _not_found(self, u: frontier.FrontierUrl, res: FetchResult) -> None:
        misses = u.not_found + 1
        gone = misses >= GONE_AFTER
        if gone:
            self.result.gone += 1
            await self.c.bus.publish(
                PageFetched(
                    site_id=self.site.id,
                    url=u.url,
                    status=res.status or 404,
                    content_hash="",
                    fetched_at=datetime.now(UTC).isoformat(),
                    gone=True,
                    crawl_id=self.crawl_id,
                )
            )
        else:
            self._count("not_found")
        await frontier.record(
            self.c.pool,
            self.site.id,
            u.url,
            state="gone" if gone else "done",
            status=res.status,
            kind=None,
            etag=None,
            last_modified=None,
            content_hash=None,
            not_found=misses,
            reason="not_found",
            recheck_s=frontier.recheck_after_s("gone" if gone else "column", self.site.schedule_s),
        )

    async def _page(self, u: frontier.FrontierUrl, res: FetchResult) -> None:
        ctype = (res.content_type or "").split(";")[0].strip().lower()
        url = canonicalize(res.final_url) or u.url
        ex = extract(res.text or "", url) if ctype in HTML_TYPES or not ctype else None
        if ex is None:
            self._count("not_html")
            await frontier.record(
                self.c.pool,
                self.site.id,
                u.url,
                state="done",
                status=res.status,
                kind="other",
                etag=res.etag,
                last_modified=res.last_modified,
                content_hash=None,
                not_found=0,
                reason="not_html",
                recheck_s=frontier.recheck_after_s("other", self.site.schedule_s),
            )
            return
        digest = content_hash(ex)
        if digest == u.content_hash:
            self.result.unchanged += 1
        else:
            self.result.changed += 1
            await self.c.bus.publish(
                page_event(self.site.id, url, ex, digest, self.crawl_id, self.c.settings.event_text_cap)
            )
        found = []
        for link in ex.links:
            target = canonicalize(link.url)
            if not target or is_file_url(target):
                continue
            if self.scope.allows(target, u.depth + 1) is None and self.traps.check(target) is None:
                found.append((target, u.depth + 1))
        self.result.discovered += await frontier.discover(self.c.pool, self.site.id, self.crawl_id, found)
        await frontier.record(
            self.c.pool,
            self.site.id,
            u.url,
            state="done",
            status=res.status,
            kind=ex.kind,
            etag=res.etag,
            last_modified=res.last_modified,
            content_hash=digest,
            not_found=0,
            reason=None,
            recheck_s=frontier.recheck_after_s(ex.kind, self.site.schedule_s),
        )

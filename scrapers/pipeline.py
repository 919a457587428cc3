"""The page loop of one crawl: workers fetch pending URLs, extract, publish changes; state is written in batches."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import asyncpg

from core.bus import Bus
from core.crawls import progress
from core.sites.service import Site
from scrapers import frontier
from scrapers.extract import extract
from scrapers.fetch import Fetcher, FetchResult
from scrapers.frontier import FrontierUrl, Outcome
from scrapers.pages import content_hash, gone_event, is_file_url, page_event
from scrapers.urls import Scope, TrapDetector, document_url

log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml")
GONE_AFTER = 2  # consecutive 404/410 answers before a page is marked gone
MAX_REFUSED_LOGGED = 1000  # trap cut-offs written to the fetch log per crawl
REPORT_EVERY_S = 1.0


@dataclass
class CrawlResult:
    """Counters of one crawl, also written to the crawls row as it goes."""

    fetched: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: int = 0
    gone: int = 0
    discovered: int = 0
    sitemap_urls: int = 0
    feed_items: int = 0
    feeds_unchanged: int = 0
    datasets: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if k != "reasons" and v]
        parts += [f"{k}:{v}" for k, v in sorted(self.reasons.items())]
        return " ".join(parts) or "nothing due"

    def count(self, reason: str) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


class PagePipeline:
    """Fetches the pending URLs of one crawl with a fixed number of workers until none is left."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        bus: Bus,
        site: Site,
        crawl_id: int,
        scope: Scope,
        fetcher: Fetcher,
        result: CrawlResult,
        concurrency: int,
        text_cap: int,
    ) -> None:
        self.pool, self.bus, self.site, self.crawl_id = pool, bus, site, crawl_id
        self.scope, self.fetcher, self.result = scope, fetcher, result
        self.concurrency, self.text_cap = concurrency, text_cap
        self.traps = TrapDetector()
        self._seen: set[str] = set()  # every link target considered in this crawl, so each is judged once
        self._seen_raw: set[str] = set()
        self._refused = 0
        self._outcomes: list[Outcome] = []
        self._log: list[tuple[object, ...]] = []
        self._found: dict[str, int] = {}
        self._last_report = 0.0

    async def run(self, max_pages: int) -> None:
        """Fetch until the frontier of this crawl is empty or `max_pages` were claimed."""
        tasks: dict[asyncio.Task[None], str] = {}
        window, low = max(8, self.concurrency * 4), max(4, self.concurrency * 2)
        claimed = 0
        try:
            while True:
                if len(tasks) <= low and claimed < max_pages:
                    await self.flush()
                    limit = min(window - len(tasks), max_pages - claimed)
                    for u in await frontier.claim(self.pool, self.crawl_id, limit, exclude=list(tasks.values())):
                        tasks[asyncio.create_task(self._one(u))] = u.url
                        claimed += 1
                if not tasks:
                    break
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    del tasks[task]
                    task.result()
                if time.monotonic() - self._last_report > REPORT_EVERY_S:
                    await self.report()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Interrupted or not, what was learnt is kept: a resumed crawl fetches only what is left.
            await asyncio.shield(self.report())

    async def flush(self) -> None:
        outcomes, rows, found = self._outcomes, self._log, self._found
        self._outcomes, self._log, self._found = [], [], {}
        await frontier.log_fetch(self.pool, rows)
        if found:
            self.result.discovered += await frontier.discover(
                self.pool, self.site.id, self.crawl_id, list(found.items())
            )
        await frontier.record(self.pool, self.site.id, outcomes)

    async def report(self) -> None:
        await self.flush()
        r = self.result
        queued = await frontier.pending_count(self.pool, self.crawl_id)
        await progress(self.pool, self.crawl_id, fetched=r.fetched, changed=r.changed, errors=r.errors, queued=queued)
        self._last_report = time.monotonic()

    def log_fetch(self, res: FetchResult, url: str | None = None) -> None:
        self._log.append(
            (self.crawl_id, self.site.id, url or res.url, res.status, res.error, res.elapsed_ms, len(res.body or b""))
        )

    def _done(self, u: FrontierUrl, state: str, status: int | None, recheck: str, **fields: object) -> None:
        recheck_s = frontier.recheck_after_s(recheck, self.site.schedule_s)
        outcome = Outcome(url=u.url, state=state, status=status, recheck_s=recheck_s, **fields)  # type: ignore[arg-type]
        self._outcomes.append(outcome)

    async def _one(self, u: FrontierUrl) -> None:
        # The frontier may hold URLs from before the site's scope was narrowed: the first URL is checked too.
        refused = self.scope.allows(u.url)
        if refused is not None:
            self.result.count("out_of_scope")
            self._log.append((self.crawl_id, self.site.id, u.url, None, "out_of_scope", 0, 0))
            self._done(u, "failed", None, "failed", reason="out_of_scope")
            return
        canonical = document_url(u.url)
        if canonical is not None and canonical != u.url:
            await self._retire(u, canonical)
            return
        res = await self.fetcher.fetch(u.url, etag=u.etag, last_modified=u.last_modified)
        self.result.fetched += 1
        self.log_fetch(res, u.url)
        validators = {"etag": res.etag, "last_modified": res.last_modified}
        if res.not_modified:
            self.result.unchanged += 1
            self._done(u, "done", 304, u.kind or "other", **validators)
        elif res.status in (404, 410):
            await self._not_found(u, res)
        elif not res.ok or not res.text:
            self.result.errors += 1
            self.result.count(res.error or "empty_body")
            self._done(u, "failed", res.status, "failed", reason=res.error or "empty_body", **validators)
        else:
            await self._page(u, res)

    async def _retire(self, u: FrontierUrl, canonical: str) -> None:
        """A URL stored before index pages were folded into their directory: its document goes, the directory
        form is crawled instead (never fetched twice as two documents)."""
        if u.content_hash is not None:
            await self.bus.publish(gone_event(self.site.id, u.url, 301, self.crawl_id))
        self._done(u, "gone", None, "gone", reason="alias")
        self._consider(canonical, u.depth)

    async def _not_found(self, u: FrontierUrl, res: FetchResult) -> None:
        misses = u.not_found + 1
        gone = misses >= GONE_AFTER
        if gone:
            self.result.gone += 1
            await self.bus.publish(gone_event(self.site.id, u.url, res.status or 404, self.crawl_id))
        else:
            self.result.count("not_found")
        state, recheck = ("gone", "gone") if gone else ("done", "column")
        self._done(u, state, res.status, recheck, not_found=misses, reason="not_found")

    async def _page(self, u: FrontierUrl, res: FetchResult) -> None:
        url = document_url(res.final_url) or u.url
        ctype = res.content_type or ""
        if ctype and ctype not in HTML_TYPES:
            self.result.count("not_html")
            self._done(u, "done", res.status, "other", kind="other", reason="not_html")
            return
        ex = extract(res.text or "", url)
        digest = content_hash(ex)
        if digest == u.content_hash:
            self.result.unchanged += 1
        else:
            self.result.changed += 1
            await self.bus.publish(page_event(self.site.id, url, ex, digest, self.crawl_id, self.text_cap))
        for link in ex.links:
            self._consider(link.url, u.depth + 1)
        self._done(
            u,
            "done",
            res.status,
            ex.kind,
            kind=ex.kind,
            etag=res.etag,
            last_modified=res.last_modified,
            content_hash=digest,
        )

    def _consider(self, raw: str, depth: int) -> None:
        if raw in self._seen_raw:  # most links of a page (navigation, footer) were judged on an earlier page
            return
        self._seen_raw.add(raw)
        target = document_url(raw)
        if not target or target in self._seen:
            return
        self._seen.add(target)
        if is_file_url(target) or self.scope.allows(target, depth) is not None:
            return
        trap = self.traps.check(target)
        if trap is None:
            self._found[target] = depth
        elif self._refused < MAX_REFUSED_LOGGED:
            self._refused += 1
            self._log.append((self.crawl_id, self.site.id, target, None, trap, 0, 0))

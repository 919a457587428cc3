"""One crawl of one site: sitemaps, feeds and data sets first, then every due page; changes go out as events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from core.bus import Bus
from core.documents import get_document, stored_hashes
from core.opendata.harvest import import_remote
from core.settings import Settings
from core.sites import site_configs
from core.sites.service import Site
from scrapers import frontier
from scrapers.ckan import CkanHarvester
from scrapers.connectors import FeedConnector, WebFeedConnector, item_event, pick_connector
from scrapers.fetch import Fetcher, FetchResult
from scrapers.guard import GuardedConnector, site_policy
from scrapers.pages import gone_event, is_file_url, publish_changed
from scrapers.pipeline import CrawlResult, PagePipeline
from scrapers.politeness import PgHostLimiter
from scrapers.robots import RobotsCache
from scrapers.sitemap import read_sitemaps
from scrapers.urls import Scope, document_url

__all__ = ["CrawlResult", "Crawler"]
log = logging.getLogger(__name__)


class Crawler:
    """Crawls a site within its scope and limits; state lives in Postgres so a crawl can resume."""

    def __init__(
        self, settings: Settings, pool: asyncpg.Pool, bus: Bus, *, connectors: Sequence[FeedConnector] = ()
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.bus = bus
        self.connectors = list(connectors)  # platform connectors, tried before the generic feed reader

    async def crawl(self, site: Site, crawl_id: int) -> CrawlResult:
        cfg, st = site.config, self.settings
        starts = [u for u in (document_url(x) for x in cfg.get("start_urls", [])) if u]
        scope = Scope.for_site(
            starts[0],
            extra_hosts=tuple(cfg.get("allowed_hosts") or ()),
            excluded_prefixes=tuple(cfg.get("exclude") or ()),
            max_depth=cfg.get("max_depth") or st.crawl_max_depth,
        )
        max_pages = cfg.get("max_pages") or st.crawl_max_pages
        concurrency = cfg.get("concurrency") or st.crawl_concurrency
        delay = float(cfg["delay_s"]) if cfg.get("delay_s") is not None else st.crawl_host_delay_s
        result = CrawlResult()
        await frontier.seed(self.pool, site.id, crawl_id, starts, datetime.now(UTC))
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        policy = site_policy(cfg, await site_configs(self.pool))
        connector = GuardedConnector(policy, limit=max(100, concurrency * 2), ttl_dns_cache=300)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            robots = RobotsCache(session, user_agent=st.crawl_user_agent)
            fetcher = Fetcher(
                session,
                user_agent=st.crawl_user_agent,
                timeout_s=st.crawl_timeout_s,
                max_body_bytes=st.crawl_max_body_bytes,
                robots=robots,
                limiter=PgHostLimiter(self.pool, concurrency=concurrency, delay_s=delay),
                hop_check=lambda url: scope.allows(url),
            )
            pages = PagePipeline(
                pool=self.pool,
                bus=self.bus,
                site=site,
                crawl_id=crawl_id,
                scope=scope,
                fetcher=fetcher,
                result=result,
                concurrency=concurrency,
                text_cap=st.event_text_cap,
            )
            sources = _Sources(
                self, site=site, crawl_id=crawl_id, scope=scope, fetcher=fetcher, robots=robots, pages=pages
            )
            await sources.sitemaps(starts)
            await sources.feeds()
            await sources.datasets(max_pages)
            await pages.run(max_pages)
        log.info("crawl finished", extra={"site": site.id, "crawl_id": crawl_id, "summary": result.summary()})
        return result


def _utc(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


class _Sources:
    """What a crawl reads besides pages: sitemaps (to seed), feeds (new media) and CKAN portals (data sets)."""

    def __init__(
        self,
        crawler: Crawler,
        *,
        site: Site,
        crawl_id: int,
        scope: Scope,
        fetcher: Fetcher,
        robots: RobotsCache,
        pages: PagePipeline,
    ) -> None:
        self.c, self.site, self.crawl_id, self.scope = crawler, site, crawl_id, scope
        self.fetcher, self.robots, self.pages = fetcher, robots, pages
        self.result = pages.result

    async def _fetch_anywhere(self, url: str) -> FetchResult:
        """Feeds and data portals may live on other hosts than the site: robots.txt still applies."""
        return await self.fetcher.fetch(url, hop_check=lambda _: None)

    def _in_scope(self, url: str) -> str | None:
        target = document_url(url)
        if target and not is_file_url(target) and self.scope.allows(target, 1) is None:
            return target
        return None

    def _logged(self, fetches: Sequence[FetchResult], error: str | None) -> None:
        for res in fetches:
            self.pages.log_fetch(res)
        if error:
            self.result.errors += 1
            self.result.count(error)

    async def sitemaps(self, starts: list[str]) -> None:
        """URLs a sitemap names join the crawl when new, or when their lastmod is after our last fetch."""
        roots: list[str] = []
        for origin in dict.fromkeys(f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in starts):
            listed = (await self.robots.rules_for(origin + "/")).parser.site_maps()
            roots += listed or [origin + "/sitemap.xml"]
        entries, fetches = await read_sitemaps(self.fetcher.fetch, roots)
        for res in fetches:  # a missing /sitemap.xml is normal, not an error
            self.pages.log_fetch(res)
        urls = {t: e.lastmod for e in entries if (t := self._in_scope(e.url))}
        self.result.sitemap_urls = len(urls)
        await frontier.enqueue(self.c.pool, self.site.id, self.crawl_id, list(urls.items()))

    async def feeds(self) -> None:
        """Every feed at every crawl, asked conditionally: items on the site are crawled as pages, the
        others stored from the feed. What a feed answered is remembered only once its items are out."""
        known = await frontier.feed_validators(self.c.pool, self.site.id)

        async def fetch_feed(url: str) -> FetchResult:
            etag, modified = known.get(url, (None, None))
            return await self.fetcher.fetch(url, etag=etag, last_modified=modified, hop_check=lambda _: None)

        generic = WebFeedConnector(fetch_feed)
        for source in self.site.config.get("feeds") or []:
            connector = pick_connector([*self.c.connectors, generic], source)
            if connector is None:
                self._logged([], "no_connector")
                continue
            account = await connector.read(source)
            self._logged(account.fetches, account.error)
            if account.not_modified:
                self.result.feeds_unchanged += 1
                continue
            self.result.feed_items += len(account.items)
            on_site = {t: _utc(i.published) for i in account.items if (t := self._in_scope(i.url))}
            await frontier.enqueue(self.c.pool, self.site.id, self.crawl_id, list(on_site.items()))
            events = {
                i.url: item_event(self.site.id, account, i, self.crawl_id)
                for i in account.items
                if i.url.startswith(("http://", "https://")) and self._in_scope(i.url) is None
            }
            self.result.changed += await publish_changed(self.c.pool, self.c.bus, list(events.values()))
            # a feed that failed keeps what it answered before: asking with it again is still right
            read = next((r for r in account.fetches if r.url == source and r.ok), None)
            if read is not None:
                await frontier.save_feed_validators(self.c.pool, self.site.id, source, read.etag, read.last_modified)

    async def datasets(self, max_datasets: int) -> None:
        """Each CKAN portal's packages land in the open-data catalogue, marked with the portal: the catalogue
        writes the one `dataset` document of each, so the crawl writes none of its own."""
        for base in self.site.config.get("ckan") or []:
            harvest = await CkanHarvester(self._fetch_anywhere, max_datasets=max_datasets).harvest(base)
            self._logged(harvest.fetches, harvest.error)
            self.result.datasets += len(harvest.packages)
            if not harvest.packages and not harvest.complete:
                continue  # a failed harvest: nothing to land, nothing may be withdrawn
            landed = await import_remote(
                pool=self.c.pool,
                bus=self.c.bus,
                settings=self.c.settings,
                base=harvest.base,
                packages=harvest.packages,
                complete=harvest.complete,
            )
            for _ in landed.refused:  # core.opendata.harvest logs each, with why
                self.result.count("dataset_refused")
            self.result.changed += landed.changed + await self._retire_own_copies(harvest.base, harvest.packages)
        await self.pages.flush()

    async def _retire_own_copies(self, base: str, packages: list[dict[str, Any]]) -> int:
        """Crawls before the catalogue took harvests wrote a `dataset` document per package at the portal's URL:
        those copies go, or search would find each data set twice. (A page crawled at such a URL is no copy.)"""
        urls = [f"{base}/dataset/{p['name']}" for p in packages]
        ours = []
        for url in await stored_hashes(self.c.pool, urls):
            doc = await get_document(self.c.pool, url=url)
            if doc.site_id == self.site.id and doc.metadata.get("portal") == base and doc.metadata.get("ckan_name"):
                ours.append(url)
        for url in ours:
            await self.c.bus.publish(gone_event(self.site.id, url, 410, self.crawl_id))
        return len(ours)

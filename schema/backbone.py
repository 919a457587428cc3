"""Queries, mutations and subscriptions over sites, documents and crawls."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator

import strawberry

from core import crawls
from core.bus import DocumentChanged, subject_for_site
from core.documents import get_document, list_documents
from core.errors import Invalid, NotFound
from core.sites import get_site, known_site, list_sites
from core.sites.config import LEVELS
from core.sites.ids import check_site_id
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import SITE_EDITOR
from schema.types import CrawlStatus, Document, DocumentChange, DocumentPage, Site

Info = strawberry.Info[Context, None]
URL_MAX = 2048
SITES_PAGE_MAX = 500


@strawberry.type
class BackboneQuery:
    @strawberry.field(
        description="The sites of the group in id order, optionally of one level; `enabled: true` keeps the sites "
        "that are crawled (the web sites a portal lists), `false` the others (grassroots units whose disclosure is "
        "imported, the open-data catalogue, sites taken down). At most `pageSize` (≤ 500) a page: a group with its "
        "grassroots units holds thousands, so ask for the next page until one comes back short"
    )
    async def sites(
        self,
        info: Info,
        level: str | None = None,
        enabled: bool | None = None,
        page: int = 1,
        page_size: int = SITES_PAGE_MAX,
    ) -> list[Site]:
        if level is not None and level not in LEVELS:
            raise Invalid(f"level must be one of {'/'.join(LEVELS)}")
        offset, limit = check_page(page, page_size, SITES_PAGE_MAX)
        found = await list_sites(info.context.pool, level=level, enabled=enabled, limit=limit, offset=offset)
        return [Site.of(s) for s in found]

    @strawberry.field(description="One site by id")
    async def site(self, info: Info, id: strawberry.ID) -> Site:
        return Site.of(await get_site(info.context.pool, check_site_id(id)))

    @strawberry.field(description="One document by its URL (or null when it was never seen)")
    async def document(self, info: Info, url: str) -> Document | None:
        if not url or len(url) > URL_MAX or not re.match(r"^https?://", url):
            raise Invalid("url must be an http(s) URL of at most 2048 characters")
        try:
            return Document.of(await get_document(info.context.pool, url=url))
        except NotFound:
            return None

    @strawberry.field(description="Documents of a site, newest first")
    async def documents(
        self,
        info: Info,
        site: strawberry.ID | None = None,
        kind: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> DocumentPage:
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        # an empty id (a frontend's unset variable) is BAD_INPUT and a typo NOT_FOUND, never every site's documents
        site_id = await known_site(info.context.pool, site) if site is not None else None
        items, total = await list_documents(info.context.pool, site_id=site_id, kind=kind, offset=offset, limit=limit)
        return DocumentPage(items=[Document.of(d) for d in items], total=total, page=page, page_size=page_size)

    @strawberry.field(description="Progress of the site's latest crawl (null before the first)")
    async def crawl_status(self, info: Info, site: strawberry.ID) -> CrawlStatus | None:
        await get_site(info.context.pool, check_site_id(site))
        latest = await crawls.latest_crawl(info.context.pool, str(site))
        return CrawlStatus.of(latest) if latest else None


@strawberry.type
class BackboneMutation:
    @strawberry.mutation(
        permission_classes=SITE_EDITOR,
        description="Queue a crawl of the site now (no-op while one is queued or running); full=true rechecks "
        "every known page, not only list pages and what is due",
    )
    async def crawl_site(self, info: Info, site: strawberry.ID, full: bool = False) -> CrawlStatus:
        pool, site_id = info.context.pool, check_site_id(site)
        await get_site(pool, site_id)
        trigger = "manual-full" if full else "manual"
        request = await crawls.request_crawl(
            pool=pool, broker=info.context.broker, site_id=site_id, trigger=trigger, full=full
        )
        return CrawlStatus.of(request.crawl)


@strawberry.type
class BackboneSubscription:
    @strawberry.subscription(description="Documents created, changed or gone, live; all sites when none given")
    async def document_changed(self, info: Info, site: strawberry.ID | None = None) -> AsyncGenerator[DocumentChange]:
        # a typo is NOT_FOUND and an empty id BAD_INPUT, never "every site"
        known = await known_site(info.context.pool, site) if site is not None else None
        subject = subject_for_site(DocumentChanged, known)
        async for event in info.context.bus.live(DocumentChanged, subject):
            yield DocumentChange.of(event)

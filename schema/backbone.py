"""Queries, mutations and subscriptions over sites, documents and crawls."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

import strawberry

from core import crawls
from core.bus import DocumentChanged, subject_for_site
from core.documents import get_document, list_documents
from core.errors import Invalid, NotFound
from core.jobs import CRAWL_SITE, send
from core.sites import get_site, list_sites
from core.sites.config import LEVELS, SITE_ID
from schema.context import Context
from schema.pagination import check_page
from schema.permissions import ADMIN
from schema.types import CrawlStatus, Document, DocumentChange, DocumentPage, Site

Info = strawberry.Info[Context, None]
URL_MAX = 2048


def _site_id(value: str) -> str:
    if not SITE_ID.match(value):
        raise Invalid(f"{value!r} is not a site id (lower-case letters, digits and dashes)")
    return value


@strawberry.type
class BackboneQuery:
    @strawberry.field(description="Every site of the group, optionally of one level")
    async def sites(self, info: Info, level: str | None = None) -> list[Site]:
        if level is not None and level not in LEVELS:
            raise Invalid(f"level must be one of {'/'.join(LEVELS)}")
        return [Site.of(s) for s in await list_sites(info.context.pool, level=level)]

    @strawberry.field(description="One site by id")
    async def site(self, info: Info, id: strawberry.ID) -> Site:
        return Site.of(await get_site(info.context.pool, _site_id(str(id))))

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
        self, info: Info, site: strawberry.ID | None = None, kind: str | None = None, page: int = 1,
        page_size: int = 20,
    ) -> DocumentPage:  # fmt: skip
        offset, limit = check_page(page, page_size, info.context.settings.max_page_size)
        items, total = await list_documents(
            info.context.pool, site_id=_site_id(str(site)) if site else None, kind=kind, offset=offset, limit=limit
        )
        return DocumentPage(items=[Document.of(d) for d in items], total=total, page=page, page_size=page_size)

    @strawberry.field(description="Progress of the site's latest crawl (null before the first)")
    async def crawl_status(self, info: Info, site: strawberry.ID) -> CrawlStatus | None:
        await get_site(info.context.pool, _site_id(str(site)))
        latest = await crawls.latest_crawl(info.context.pool, str(site))
        return CrawlStatus.of(latest) if latest else None


@strawberry.type
class BackboneMutation:
    @strawberry.mutation(
        permission_classes=ADMIN,
        description="Queue a crawl of the site now (no-op while one is queued or running); full=true rechecks "
        "every known page, not only list pages and what is due",
    )
    async def crawl_site(self, info: Info, site: strawberry.ID, full: bool = False) -> CrawlStatus:
        pool = info.context.pool
        await get_site(pool, _site_id(str(site)))
        if full:
            await crawls.mark_site_due(pool, str(site))
        crawl_id = await crawls.queue_crawl(pool, str(site), "manual-full" if full else "manual")
        if crawl_id is not None:
            broker = info.context.services.extras["broker"]
            await asyncio.to_thread(send, broker, CRAWL_SITE, str(site), crawl_id)
        latest = await crawls.latest_crawl(pool, str(site))
        assert latest is not None
        return CrawlStatus.of(latest)


@strawberry.type
class BackboneSubscription:
    @strawberry.subscription(description="Documents created, changed or gone, live; all sites when none given")
    async def document_changed(self, info: Info, site: strawberry.ID | None = None) -> AsyncGenerator[DocumentChange]:
        subject = subject_for_site(DocumentChanged, _site_id(str(site)) if site else None)
        async for event in info.context.services.bus.live(DocumentChanged, subject):
            yield DocumentChange.of(event)

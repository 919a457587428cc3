"""GraphQL types of the backbone: sites, documents, crawls and document changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from core.bus.events import DocumentChanged
from core.crawls import Crawl
from core.documents import Document as DocumentRecord
from core.sites.service import Site as SiteRecord

if TYPE_CHECKING:
    from schema.context import Context


@strawberry.type(description="A site of the group: portal, department, county, …")
class Site:
    id: strawberry.ID
    name: str
    level: str = strawberry.field(description="国家, 省, 市, 区县, 部门, 乡镇街道 or 村社区")
    region: str | None
    department: str | None
    parent_id: strawberry.ID | None
    document_count: int
    last_crawled_at: datetime | None
    schedule_seconds: int
    enabled: bool
    start_urls: list[str]

    @classmethod
    def of(cls, s: SiteRecord) -> Site:
        return cls(
            id=strawberry.ID(s.id),
            name=s.name,
            level=s.level,
            region=s.region,
            department=s.department,
            parent_id=strawberry.ID(s.parent_id) if s.parent_id else None,
            document_count=s.document_count,
            last_crawled_at=s.last_crawled_at,
            schedule_seconds=s.schedule_s,
            enabled=s.enabled,
            start_urls=list(s.config.get("start_urls", [])),
        )


@strawberry.type(description="A file linked from a document")
class Attachment:
    name: str
    url: str
    type: str | None
    size: str | None


@strawberry.type(description="Government metadata of a document (政府信息公开 table and CMS meta tags)")
class DocumentMeta:
    index_no: str | None = strawberry.field(description="索引号")
    theme: str | None = strawberry.field(description="主题分类")
    issuer: str | None = strawberry.field(description="发文机关")
    written_date: date | None = strawberry.field(description="成文日期")
    published_date: date | None = strawberry.field(description="发布日期")
    doc_no: str | None = strawberry.field(description="文号 as written")
    doc_no_normalized: str | None = strawberry.field(description="文号 normalised, e.g. 国办发〔2017〕47号")
    validity: str | None = strawberry.field(description="有效性: 有效, 失效, 废止 or 修订")
    raw: JSON = strawberry.field(description="Every metadata field found, as extracted")


def _iso(value: object) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@strawberry.type(description="A page, file or record of a site, as stored")
class Document:
    id: strawberry.ID
    url: str
    site_id: strawberry.ID
    kind: str
    title: str
    text: str
    column: str | None
    published_at: date | None
    attachments: list[Attachment]
    meta: DocumentMeta
    version: int
    first_seen: datetime
    last_changed: datetime
    gone: bool

    @strawberry.field
    async def site(self, info: strawberry.Info[Context, None]) -> Site | None:
        record = await info.context.sites.load(str(self.site_id))
        return Site.of(record) if record else None

    @classmethod
    def of(cls, d: DocumentRecord) -> Document:
        m = d.metadata
        meta = DocumentMeta(
            index_no=m.get("index_no"),
            theme=m.get("theme"),
            issuer=m.get("issuer") or d.issuer,
            written_date=_iso(m.get("written_date")),
            published_date=_iso(m.get("published_date")),
            doc_no=m.get("doc_no") or d.doc_no,
            doc_no_normalized=m.get("doc_no_normalized") or d.doc_no_norm,
            validity=m.get("validity"),
            raw=m,  # type: ignore[arg-type]
        )
        return cls(
            id=strawberry.ID(d.id),
            url=d.url,
            site_id=strawberry.ID(d.site_id),
            kind=d.kind,
            title=d.title,
            text=d.text,
            column=d.column,
            published_at=d.published_at,
            attachments=[
                Attachment(name=a.get("name", ""), url=a.get("url", ""), type=a.get("type"), size=a.get("size"))
                for a in d.attachments
            ],
            meta=meta,
            version=d.version,
            first_seen=d.first_seen,
            last_changed=d.last_changed,
            gone=d.gone,
        )


@strawberry.type(description="One page of documents")
class DocumentPage:
    items: list[Document]
    total: int
    page: int
    page_size: int


@strawberry.type(description="Progress of a site's latest crawl")
class CrawlStatus:
    crawl_id: strawberry.ID
    site_id: strawberry.ID
    state: str
    trigger: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    fetched: int
    changed: int
    errors: int
    queued: int
    pages_per_second: float | None
    message: str | None

    @classmethod
    def of(cls, c: Crawl) -> CrawlStatus:
        rate = c.pages_per_second()
        return cls(
            crawl_id=strawberry.ID(str(c.id)),
            site_id=strawberry.ID(c.site_id),
            state=c.state,
            trigger=c.trigger,
            queued_at=c.queued_at,
            started_at=c.started_at,
            finished_at=c.finished_at,
            fetched=c.pages_fetched,
            changed=c.pages_changed,
            errors=c.errors,
            queued=c.queued,
            pages_per_second=rate,
            message=c.message,
        )


ChangeKind = Annotated[str, strawberry.argument(description="created, updated or gone")]


@strawberry.type(description="A document was created, changed or marked gone")
class DocumentChange:
    document_id: strawberry.ID
    url: str
    site_id: strawberry.ID
    change: str = strawberry.field(description="created, updated or gone")
    version: int
    title: str
    kind: str
    changed_at: str

    @classmethod
    def of(cls, e: DocumentChanged) -> DocumentChange:
        return cls(
            document_id=strawberry.ID(e.document_id),
            url=e.url,
            site_id=strawberry.ID(e.site_id),
            change=e.change,
            version=e.version,
            title=e.title,
            kind=e.kind,
            changed_at=e.changed_at,
        )

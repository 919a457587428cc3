"""Browsing the Q&A knowledge base by topic (`qaTopics`, `qaPairs`), and the admin view of its syncs (`qaSyncRuns`)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from core.errors import Invalid
from core.qa import sync
from schema.context import Context
from schema.permissions import ADMIN
from schema.qa import QaPair

Info = strawberry.Info[Context, None]
MAX_RUNS = 100


@strawberry.type(description="A theme of the knowledge base (社会保障, 医疗卫生 …) and how many active pairs it holds")
class QaTopic:
    id: strawberry.ID = strawberry.field(description="Stable id, e.g. social-security; qaPairs takes it (or the name)")
    name: str
    count: int


@strawberry.type(description="A page of a topic's pairs in id order; pass endCursor as `after` for the next")
class QaPairPage:
    items: list[QaPair]
    total: int = strawberry.field(description="Active pairs in the topic")
    end_cursor: str | None
    has_next_page: bool


@strawberry.type(description="One sync of an external knowledge base (the 12345 hotline's) into the pairs")
class QaSyncRun:
    id: strawberry.ID
    connector: str
    source: str = strawberry.field(description="The file or URL read (a URL's password masked)")
    trigger: str = strawberry.field(description="schedule, cli or admin")
    status: str = strawberry.field(description="queued, running, done or failed")
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seen: int
    added: int
    changed: int
    retired: int
    revived: int
    unchanged: int
    rejected: int
    rejections: JSON = strawberry.field(description='The first 50 malformed rows: [{"row": n, "reason": "…"}]')
    error: str

    @classmethod
    def of(cls, r: sync.SyncRun) -> QaSyncRun:
        return cls(
            id=strawberry.ID(str(r.id)),
            connector=r.connector,
            source=r.source,
            trigger=r.trigger,
            status=r.status,
            queued_at=r.queued_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            seen=r.seen,
            added=r.added,
            changed=r.changed,
            retired=r.retired,
            revived=r.revived,
            unchanged=r.unchanged,
            rejected=r.rejected,
            rejections=r.rejections,  # type: ignore[arg-type]  # a JSON list
            error=r.error,
        )


@strawberry.type
class QaBrowseQuery:
    @strawberry.field(description="Every topic of the knowledge base with its count of active pairs (zero included)")
    async def qa_topics(self, info: Info) -> list[QaTopic]:
        found = await info.context.qa.topics()
        return [QaTopic(id=strawberry.ID(t.id), name=t.name, count=n) for t, n in found]

    @strawberry.field(
        description=(
            "Active pairs of one topic (id or name from qaTopics; NOT_FOUND for another); after: the endCursor of "
            "this topic's listing (another topic's is BAD_INPUT)"
        )
    )
    async def qa_pairs(self, info: Info, topic: str, first: int = 20, after: str | None = None) -> QaPairPage:
        limit = info.context.settings.max_page_size
        if not 1 <= first <= limit:
            raise Invalid(f"first must be between 1 and {limit}, not {first}")
        page = await info.context.qa.topic_page(topic, first=first, after=after)
        return QaPairPage(
            items=[QaPair.of(p) for p in page.items],
            total=page.total,
            end_cursor=page.end_cursor,
            has_next_page=page.has_next,
        )

    @strawberry.field(permission_classes=ADMIN, description="The latest 12345 hotline syncs, newest first (admin)")
    async def qa_sync_runs(self, info: Info, first: int = 20) -> list[QaSyncRun]:
        if not 1 <= first <= MAX_RUNS:
            raise Invalid(f"first must be between 1 and {MAX_RUNS}, not {first}")
        return [QaSyncRun.of(r) for r in await sync.recent_runs(pool=info.context.pool, limit=first)]

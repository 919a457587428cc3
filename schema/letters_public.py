"""A published letter (政民互动 信件选登) for anyone: `publishedLetter(id)`, what its public page shows."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import strawberry

from core import letters
from core.errors import Invalid
from schema.context import Context
from schema.types import Site

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A letter published with its writer's consent once answered: no writer, no replier; numbers that "
    "look like a phone, an ID number or an e-mail address masked (＊), as its page and search show it"
)
class PublishedLetter:
    id: strawberry.ID
    site_id: strawberry.ID
    kind: str = strawberry.field(description="咨询, 投诉 or 建议")
    department: str = strawberry.field(description="The department that answered")
    subject: str
    question: str = strawberry.field(description="The letter's text as published")
    reply: str = strawberry.field(description="The department's reply as published")
    submitted_on: date = strawberry.field(description="来信日期 (Beijing)")
    replied_on: date | None = strawberry.field(description="答复日期 (Beijing)")
    url: str = strawberry.field(description="Its public page (LETTER_URL_TEMPLATE); what search hits carry")

    @strawberry.field
    async def site(self, info: Info) -> Site | None:
        record = await info.context.sites.load(str(self.site_id))
        return Site.of(record) if record else None

    @classmethod
    def of(cls, x: letters.PublishedLetter) -> PublishedLetter:
        return cls(
            id=strawberry.ID(str(x.id)),
            site_id=strawberry.ID(x.site_id),
            kind=x.kind,
            department=x.department,
            subject=x.subject,
            question=x.question,
            reply=x.reply,
            submitted_on=x.submitted_on,
            replied_on=x.replied_on,
            url=x.url,
        )


@strawberry.type
class PublishedLetterQuery:
    @strawberry.field(
        description="A published letter by id; null for an id that is unknown or not published (the two look alike)"
    )
    async def published_letter(self, info: Info, id: strawberry.ID) -> PublishedLetter | None:
        try:
            letter_id = UUID(str(id))
        except ValueError:
            raise Invalid(f"id {str(id)[:64]!r} is not a letter id") from None
        c = info.context
        found = await letters.get_published_letter(pool=c.pool, letter_id=letter_id, now=c.clock())
        return PublishedLetter.of(found) if found else None

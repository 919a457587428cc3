"""A letter published with its writer's consent: a document of kind `letter` on its site, with no personal data.

It goes the way every document goes (docs/architecture.md, "Data flow"): a `PageImported` event (a page on the
import lane) with source `letter` that the indexer stores and announces, and the search projection indexes. The
writer's name, username and contact never enter it; numbers that look like a phone, an ID number or an e-mail
address in the text the writer typed are masked too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit
from uuid import UUID

from core.bus.events import PageImported
from core.clock import local_date
from core.letters.models import Letter

_PERSONAL = (
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),  # 居民身份证号码
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),  # mobile phone
    re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"),  # landline
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
)


def mask_personal(text: str) -> str:
    """The text with ID numbers, phone numbers and e-mail addresses replaced by ＊."""
    for pattern in _PERSONAL:
        text = pattern.sub(lambda m: "＊" * len(m.group(0)), text)
    return text


@dataclass(frozen=True, kw_only=True)
class PublishedLetter:
    """What anyone may read of a published letter: no writer, no replier, personal numbers masked."""

    id: UUID
    site_id: str
    kind: str
    department: str
    subject: str
    question: str
    reply: str
    submitted_on: date
    replied_on: date | None
    url: str


def published(letter: Letter, url: str) -> PublishedLetter:
    """The public view of an answered letter, as its page and its document show it."""
    return PublishedLetter(
        id=letter.id,
        site_id=letter.site_id,
        kind=letter.kind,
        department=letter.department,
        subject=mask_personal(letter.subject),
        question=mask_personal(letter.body),
        reply=mask_personal(letter.reply_body or ""),
        submitted_on=local_date(letter.submitted_at),
        replied_on=local_date(letter.replied_at) if letter.replied_at else None,
        url=url,
    )


def letter_url(template: str, *, start_urls: list[str], portal: str, letter: Letter) -> str:
    """Where the letter's page is: LETTER_URL_TEMPLATE with the portal's base URL (PUBLIC_URL), the site's
    origin (its first start URL, for a site whose own CMS shows letters) and the letter's id."""
    first = urlsplit(start_urls[0]) if start_urls else None
    origin = f"{first.scheme}://{first.netloc}" if first and first.netloc else "https://letters.invalid"
    return template.format(portal=portal.rstrip("/"), origin=origin, id=letter.id)


def letter_text(letter: PublishedLetter) -> str:
    replied = letter.replied_on.isoformat() if letter.replied_on else ""
    return "\n".join(
        [
            f"{letter.kind}：{letter.question}",
            f"受理部门：{letter.department}",
            f"答复（{replied}）：{letter.reply}",
        ]
    )


def letter_page(letter: Letter, url: str) -> PageImported:
    """The page event of a published letter; its hash covers what is shown, so publishing twice changes nothing."""
    shown = published(letter, url)
    text = letter_text(shown)
    title = shown.subject
    meta = {
        "letter_id": str(letter.id),
        "letter_kind": letter.kind,
        "department": letter.department,
        "submitted_on": shown.submitted_on.isoformat(),
        "replied_on": shown.replied_on.isoformat() if shown.replied_on else None,
    }
    content = json.dumps([title, text, meta], ensure_ascii=False, sort_keys=True)
    fetched = (letter.replied_at or letter.submitted_at).isoformat()
    return PageImported(
        site_id=letter.site_id,
        url=url,
        status=200,
        content_hash=hashlib.sha256(content.encode()).hexdigest(),
        fetched_at=fetched,
        kind="letter",
        title=title,
        text=text,
        published_at=meta["replied_on"],
        meta=meta,
        source="letter",
    )

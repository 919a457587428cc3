"""Published items become documents of kind `disclosure` on their unit's site, so search finds them (scene 基层公开,
facets site = the unit and level = its level) and monitoring sees each unit's columns (板块/类别).

They go the way every document goes (docs/architecture.md, "Data flow"), as published letters do: a
`PageImported` with source `disclosure` that the import lane's indexer stores and announces and the search
projection indexes; a withdrawn item's page is `gone`."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime

import asyncpg

from core.bus import Bus, DisclosurePublished, Event, PageImported
from core.disclosure import notice_store, store
from core.disclosure.hierarchy import ancestors, site_id_of
from core.disclosure.models import Item

KIND = "disclosure"
PATH = "/disclosure/items/"
PUBLISH_CHUNK = 200  # publishes in flight at a time (each still awaits its ack)


def item_url(base_url: str, item: Item) -> str:
    """Where the item's page is: the API's /disclosure/items/<id> under PUBLIC_URL."""
    return f"{base_url.rstrip('/')}{PATH}{item.id}"


def item_page(item: Item, *, base_url: str, unit_names: list[str], at: datetime) -> PageImported:
    """The page event of a published item (or, withdrawn, of its page gone); the hash covers what is shown, so
    announcing the same revision twice changes nothing."""
    url = item_url(base_url, item)
    fetched = at.isoformat()  # the moment of the change: a later change wins in the document store
    if item.withdrawn_at is not None:
        return PageImported(
            site_id=site_id_of(item.unit_code),
            url=url,
            status=404,
            content_hash="gone",
            fetched_at=fetched,
            kind=KIND,
            gone=True,
            source=KIND,
        )
    meta = {
        "disclosure_item": str(item.id),
        "unit_code": item.unit_code,
        "unit": " ".join(unit_names),
        "board": item.board,
        "category": item.category,
        "period": item.period,
        "revision": item.revision,
    }
    text = "\n".join([" ".join(unit_names), f"{item.board} {item.category} {item.period}", item.body])
    attachments = [{"url": f"/disclosure/vouchers/{a.sha256}", "name": a.name} for a in item.attachments]
    content = json.dumps([item.title, text, meta, attachments], ensure_ascii=False, sort_keys=True)
    return PageImported(
        site_id=site_id_of(item.unit_code),
        url=url,
        status=200,
        content_hash=hashlib.sha256(content.encode()).hexdigest(),
        fetched_at=fetched,
        kind=KIND,
        title=item.title,
        text=text,
        published_at=item.dated.isoformat(),
        column=f"{item.board}/{item.category}",
        breadcrumb=[*unit_names, item.board, item.category],
        meta=meta,
        attachments=attachments,
        source=KIND,
    )


def announcement(item: Item, change: str, at: datetime) -> DisclosurePublished:
    return DisclosurePublished(
        item_id=str(item.id),
        unit_code=item.unit_code,
        chain=ancestors(item.unit_code),
        category=item.category,
        revision=item.revision,
        change=change,
        at=at.isoformat(),
    )


async def unit_names(pool: asyncpg.Pool, codes: set[str]) -> dict[str, str]:
    return {code: u.name for code, u in (await store.get_units(pool, sorted(codes))).items()}


async def announce(
    *,
    pool: asyncpg.Pool,
    bus: Bus,
    changes: list[tuple[Item, str]],
    now: datetime,
    base_url: str | None,
    names: dict[str, str] | None = None,
) -> None:
    """After commit: `DisclosurePublished` for each change (live subscribers, residents' notifications), and with
    `base_url` the item's page for the document store and search (`names`: unit code -> name, read when not
    given); then the changes leave the outbox their transaction wrote."""
    events: list[Event] = [announcement(item, change, now) for item, change in changes]
    if base_url is not None and changes:
        if names is None:
            names = await unit_names(pool, {c for item, _ in changes for c in ancestors(item.unit_code)})
        for item, _ in changes:
            chain = [names.get(c, c) for c in ancestors(item.unit_code)]
            events.append(item_page(item, base_url=base_url, unit_names=chain, at=now))
    for start in range(0, len(events), PUBLISH_CHUNK):
        await asyncio.gather(*(bus.publish(e) for e in events[start : start + PUBLISH_CHUNK]))
    await notice_store.clear_outbox(pool, changes)  # announced: the outbox owes them no more

"""Disclosure items: written by a unit's editors, published, revised (never silently) and withdrawn."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from core.bus import Bus
from core.disclosure import notice_store, store
from core.disclosure.boards import BOARD_OF, check_category, metric
from core.disclosure.hierarchy import ancestors, check_code, subtree
from core.disclosure.models import BlobRef, Item, Page, Revision
from core.disclosure.periods import check_in_period, parse_period
from core.disclosure.publication import announce
from core.disclosure.rollups import Deltas, item_part
from core.disclosure.subtree_store import subtree_page
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.locks import Lock

TITLE_MAX = 200
BODY_MAX = 20_000
REASON_MAX = 500
EXTERNAL_ID_MAX = 128
ORDERED_SHARE = 4  # a subtree holding a quarter of its 市's items or more reads the newest in order (subtree_store)
CONTENT = ("board", "category", "period", "dated", "title", "body", "attachments")


def text_field(name: str, value: str, most: int, *, empty: bool = False) -> str:
    value = value.strip()
    if not value and not empty:
        raise Invalid(f"{name} must not be empty")
    if len(value) > most:
        raise Invalid(f"{name} is {len(value)} characters; at most {most} are allowed")
    return value


def external_id(value: str | None) -> str | None:
    return text_field("external id", value, EXTERNAL_ID_MAX) if value is not None and value.strip() else None


@dataclass(frozen=True, kw_only=True)
class ItemDraft:
    """What an editor or an import row gives for an item; `check` returns the values to store."""

    unit_code: str
    category: str
    period: str
    dated: date
    title: str
    body: str
    board: str | None = None
    attachments: list[BlobRef] = field(default_factory=list)
    external_id: str | None = None

    def check(self) -> dict[str, Any]:
        board, category = check_category(self.category, self.board)
        period = parse_period(self.period)
        return {
            "unit_code": check_code(self.unit_code),
            "board": board,
            "category": category,
            "period": period,
            "dated": check_in_period(period, self.dated, what="the date"),
            "title": text_field("title", self.title, TITLE_MAX),
            "body": text_field("body", self.body, BODY_MAX, empty=True),
            "attachments": list(self.attachments),
            "external_id": external_id(self.external_id),
        }


def same_content(item: Item, v: dict[str, Any]) -> bool:
    now = {**v, "period": v["period"].label}
    return all(getattr(item, k) == now[k] for k in CONTENT)


def _part(item: Item | None) -> dict[tuple[str, str], Any]:
    return item_part(item.unit_code, item.board, item.category, item.counted) if item else {}


async def _apply(conn: asyncpg.Connection, old: Item | None, new: Item) -> None:
    deltas = Deltas.empty()
    deltas.change(_part(old), _part(new))
    await store.apply_deltas(conn, deltas.rows())


async def _twin(conn: asyncpg.Connection, v: dict[str, Any]) -> Item | None:
    """An item of the unit with this content, not withdrawn; with an external id, the unique index keys the item
    (an import's two records may read alike)."""
    if v["external_id"] is not None:
        return None
    key = f"{v['unit_code']}|{v['title']}"  # held to commit: two sends at once find each other
    await Lock.DISCLOSURE_ITEM.hold(conn, key)
    alike = await store.items_like(conn, v["unit_code"], v["title"], v["dated"])
    return next((item for item in alike if same_content(item, v)), None)


def _state(item: Item) -> str:
    return "published" if item.published_at is not None else "a draft"


async def create_item(
    *,
    pool: asyncpg.Pool,
    bus: Bus,
    draft: ItemDraft,
    publish: bool,
    by: str,
    now: datetime,
    base_url: str | None = None,
) -> Item:
    """Store an item (revision 1), published at once unless `publish` is false; counted only once published. The
    same item again (a form sent twice) is Conflict naming the one stored; after a withdrawal it may be written anew."""
    v = draft.check()
    async with pool.acquire() as conn, conn.transaction():
        if await store.get_unit(conn, v["unit_code"]) is None:
            raise NotFound(f"no unit with code {v['unit_code']}")
        if (twin := await _twin(conn, v)) is not None:  # a form sent twice: the public would read it twice
            raise Conflict(f"this item is stored already as item {twin.id} ({_state(twin)}): edit it instead")
        try:
            async with conn.transaction():  # a savepoint: the holder of the external id can be read after a clash
                item = await store.insert_item(conn, {**v, "published_at": now if publish else None})
        except asyncpg.UniqueViolationError:
            holder = (await store.items_by_external_id(conn, [v["external_id"]])).get(v["external_id"])
            named = f" (item {holder.id}, {_state(holder)})" if holder is not None else ""
            raise Conflict(f"an item with external id {v['external_id']} exists already{named}") from None
        await store.insert_revision(conn, item, reason="", by=by, at=now)
        await _apply(conn, None, item)
        if item.counted:
            await notice_store.record_outbox(conn, [(item, "published")], now)
    if item.counted:
        await announce(pool=pool, bus=bus, changes=[(item, "published")], now=now, base_url=base_url)
    return item


async def edit_item(
    *,
    pool: asyncpg.Pool,
    bus: Bus,
    item_id: UUID,
    draft: ItemDraft,
    reason: str,
    by: str,
    now: datetime,
    base_url: str | None = None,
) -> Item:
    """A new revision of an item (the old ones are kept); after publication an edit needs its reason (修改说明).
    An edit that changes nothing makes no revision."""
    v = draft.check()
    reason = text_field("reason", reason, REASON_MAX, empty=True)
    async with pool.acquire() as conn, conn.transaction():
        old = await store.get_item(conn, item_id, lock=True)
        if old is None:
            raise NotFound(f"no item with id {item_id}")
        check_owner("item", item_id, old.unit_code, v["unit_code"])
        if v["external_id"] is not None and v["external_id"] != old.external_id:  # it keys the item in imports
            held = f"its external id is {old.external_id}" if old.external_id else "it has no external id"
            raise Invalid(f"item {item_id}: externalId cannot change in an edit ({held}); leave it out to keep it")
        if same_content(old, v):
            return old
        if old.published_at is not None and not reason:
            raise Invalid(
                "this item is published: say why it changes (reason, 修改说明); the change becomes a new revision"
            )
        new = await store.update_item(conn, item_id, v, now)
        await store.insert_revision(conn, new, reason=reason, by=by, at=now)
        await _apply(conn, old, new)
        if new.counted:
            await notice_store.record_outbox(conn, [(new, "revised")], now)
    if new.counted:
        await announce(pool=pool, bus=bus, changes=[(new, "revised")], now=now, base_url=base_url)
    return new


def check_owner(kind: str, thing_id: UUID, owner: str, unit_code: str | None) -> None:
    """Forbidden when an editor of one unit acts on another unit's item or project."""
    if unit_code is not None and owner != unit_code:
        raise Forbidden(f"{kind} {thing_id} belongs to unit {owner}, not to unit {unit_code}")


async def set_published(
    *,
    pool: asyncpg.Pool,
    bus: Bus,
    item_id: UUID,
    publish: bool,
    now: datetime,
    unit_code: str | None = None,
    base_url: str | None = None,
) -> Item:
    """Publish a draft (`publish`), or withdraw a published item (it is kept, with its revisions)."""
    async with pool.acquire() as conn, conn.transaction():
        old = await store.get_item(conn, item_id, lock=True)
        if old is None:
            raise NotFound(f"no item with id {item_id}")
        check_owner("item", item_id, old.unit_code, unit_code)
        if publish and old.withdrawn_at is not None:
            raise Conflict(f"item {item_id} was withdrawn; write a new item instead")
        if publish == old.counted:
            return old
        if not publish and old.published_at is None:
            raise Conflict(f"item {item_id} is a draft: there is nothing to withdraw")
        published_at = old.published_at or now
        new = await store.set_item_state(
            conn, item_id, published_at=published_at, withdrawn_at=None if publish else now
        )
        await _apply(conn, old, new)
        change = "published" if publish else "withdrawn"
        await notice_store.record_outbox(conn, [(new, change)], now)
    await announce(pool=pool, bus=bus, changes=[(new, change)], now=now, base_url=base_url)
    return new


async def get_item(*, pool: asyncpg.Pool, item_id: UUID) -> Item:
    found = await store.get_item(pool, item_id)
    if found is None:
        raise NotFound(f"no item with id {item_id}")
    return found


async def item_revisions(*, pool: asyncpg.Pool, item_id: UUID, up_to: int | None = None) -> list[Revision]:
    """An item's revisions, the newest first; `up_to`: those up to the revision a reader was shown of the item (they
    are never changed once written), so a revision made since the item was read does not head its list."""
    return await store.revisions(pool, item_id, up_to)


async def list_items(
    *,
    pool: asyncpg.Pool,
    unit: str,
    below: bool = False,
    category: str | None = None,
    period: str | None = None,
    offset: int,
    limit: int,
) -> Page[Item]:
    """Published items of a unit (with `below`, of everything under it too), the newest period first."""
    code = check_code(unit)
    if category is not None and category not in BOARD_OF:
        category = check_category(category)[1]
    p = parse_period(period) if period else None
    # the roll-up rows hold the subtree's count, current with every change; with a period, count the rows. The
    # count and the page are read in one snapshot: an item published between them would be listed but not counted.
    kind = metric(BOARD_OF[category], category) if category else "items"
    start, end = (p.start, p.end) if p else (None, None)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        if not below:
            found, total = await store.items_page(
                conn,
                first=code,
                last=None,
                category=category,
                start=start,
                end=end,
                offset=offset,
                limit=limit,
                total=None if p else await store.own_count(conn, code, kind),
            )
            return Page(items=found, total=total)
        first, last = subtree(code)
        here, city = await store.rollup_counts(conn, [code, ancestors(code)[0]], kind)
        total = here if p is None else await store.count_items(conn, first, last, category, start, end)
        found = await subtree_page(
            conn,
            first=first,
            last=last,
            ordered=here * ORDERED_SHARE >= city,
            category=category,
            start=start,
            end=end,
            offset=offset,
            limit=limit,
        )
    return Page(items=found, total=total)

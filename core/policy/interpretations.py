"""Each site's 解读与回应 section: every explaining page with its kind, content fields and the policies it explains."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from core.cursors import make_cursor, read_cursor
from core.documents import Document, get_documents
from core.errors import Invalid, NotFound
from core.policy.explainers import content_of
from core.policy.links import KINDS, explaining_kind
from core.policy.queries import POLICY_SELECT, Policy, check_id, policy_row
from core.sites import get_site

_KIND = "coalesce(e.kind_admin, e.kind_auto)"
_ITEM = f"""
select e.document_id::text as id, d.title, d.url, d.site_id, {_KIND} as kind,
       case when e.kind_admin is not null then 'admin' else 'auto' end as kind_source,
       e.background, e.keywords, e.stated_changes, e.published_at
from policy_explainers e join live_documents d on d.id = e.document_id
"""
_LIST = (
    _ITEM
    + f"""where e.site_id = $1 and ($2::text is null or {_KIND} = $2)
  and ($3::date is null or (e.published_at, e.document_id) < ($3::date, $4::uuid))
order by e.published_at desc, e.document_id desc limit $5"""
)
# The canonical policies each page explains: its mentions matched by 文号 or name, less the admin's unlinks,
# plus the admin's links (the same decisions `Policy.interpretations` applies, seen from the page).
_EXPLAINED = """
with ids as (select unnest($1::uuid[]) as document_id), auto as (
    select m.document_id, n.document_id as policy_id from policy_mentions m join ids using (document_id)
    join policy_doc_nos n on m.by = 'doc_no' and n.normalized = m.value
    union
    select m.document_id, p.document_id from policy_mentions m join ids using (document_id)
    join policies p on m.by = 'title' and p.names @> array[m.value]
), chosen as (
    select distinct a.document_id, p.canonical_id as policy_id
    from auto a join policies p on p.document_id = a.policy_id
    where not exists (select 1 from policy_link_overrides o join policies op on op.document_id = o.policy_id
                      where o.document_id = a.document_id and o.action = 'unlink' and op.canonical_id = p.canonical_id)
    union
    select o.document_id, p.canonical_id from policy_link_overrides o join ids using (document_id)
    join policies p on p.document_id = o.policy_id where o.action = 'link'
)
"""


@dataclass(frozen=True, kw_only=True)
class Interpretation:
    """An explaining page of a site's section."""

    id: str
    title: str
    url: str
    site_id: str
    kind: str
    kind_source: str
    background: str
    keywords: tuple[str, ...]
    stated_changes: str
    published_at: date


@dataclass
class InterpretationPage:
    """A page of a section, newest first, with the cursor of its last item."""

    items: list[Interpretation]
    end_cursor: str | None
    has_next_page: bool


def check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in KINDS:
        raise Invalid(f"kind must be one of {'、'.join(KINDS)}, not {kind!r}")
    return kind


def listing_of(site_id: str, kind: str | None) -> str:
    """What a page cursor of the section says it continues (a cursor of one site or kind is no position in another)."""
    return f"interpretations(site: {site_id}" + (f", kind: {kind})" if kind else ")")


def encode_cursor(listing: str, item: Interpretation) -> str:
    return make_cursor(listing, f"{item.published_at.isoformat()}|{item.id}")


def decode_cursor(cursor: str, listing: str) -> tuple[date, str]:
    day, _, ident = read_cursor(cursor, listing).partition("|")
    try:
        return date.fromisoformat(day), str(uuid.UUID(ident))
    except ValueError:
        raise Invalid(f"after is not a cursor of {listing} (use endCursor of the previous page)") from None


def _content_args(doc: Document) -> tuple[str, list[str], str, date]:
    c = content_of(doc.title, doc.text)
    return c.background, list(c.keywords), c.stated_changes, doc.published_at or doc.first_seen.date()


async def apply_explainer(conn: asyncpg.Connection, doc: Document) -> str | None:
    """Keep a non-policy page's place in its site's section (in the caller's transaction); its automatic kind."""
    return (await apply_explainers(conn, [doc]))[doc.id]


async def apply_explainers(conn: asyncpg.Connection, docs: Sequence[Document]) -> dict[str, str | None]:
    """`apply_explainer` for a batch of pages in a few statements; the automatic kind of each."""
    kinds: dict[str, str | None] = {}
    rows = []
    for doc in docs:
        policy = doc.gone or doc.kind == "policy"
        found = None if policy else explaining_kind(doc.title, doc.column, doc.kind, url=doc.url, text=doc.text)
        kinds[doc.id] = found[1] if found else None
        if found:
            rows.append((doc.id, doc.site_id, found[1], *_content_args(doc)))
    left = [i for i, kind in kinds.items() if kind is None]
    if left:  # no longer one by itself: kept only while the admin says it is
        # deleted first: a row must keep a kind (check constraint), so one without the admin's goes whole
        await conn.execute(
            "delete from policy_explainers where document_id = any($1::uuid[]) and kind_admin is null", left
        )
        await conn.execute(
            """update policy_explainers set kind_auto = null
               where document_id = any($1::uuid[]) and kind_auto is not null""",
            left,
        )
    if rows:
        await conn.executemany(
            """insert into policy_explainers (document_id, site_id, kind_auto, background, keywords, stated_changes,
                   published_at) values ($1::uuid, $2, $3, $4, $5, $6, $7)
               on conflict (document_id) do update set site_id = excluded.site_id, kind_auto = excluded.kind_auto,
                   background = excluded.background, keywords = excluded.keywords,
                   stated_changes = excluded.stated_changes, published_at = excluded.published_at,
                   updated_at = now()""",
            rows,
        )
    return kinds


async def set_kind(pool: asyncpg.Pool, document_id: str, kind: str | None) -> Interpretation | None:
    """The admin's kind for a page (null: back to the automatic one, None when there is none); any page but a
    policy can be put in its site's section."""
    check_kind(kind)
    document_id = check_id(document_id, "documentId")
    doc = (await get_documents(pool, [document_id])).get(document_id)
    if doc is None or doc.gone:
        raise NotFound(f"no document with id {document_id!r}")
    if doc.kind == "policy":
        raise Invalid("a policy is not an interpretation of itself: pick the page that explains it")
    async with pool.acquire() as conn, conn.transaction():
        await apply_explainer(conn, doc)
        if kind is None:  # a row must keep a kind: the row goes first when the admin's was its only one
            await conn.execute(
                "delete from policy_explainers where document_id = $1::uuid and kind_auto is null", doc.id
            )
            await conn.execute("update policy_explainers set kind_admin = null where document_id = $1::uuid", doc.id)
        else:
            await conn.execute(
                """insert into policy_explainers (document_id, site_id, kind_admin, background, keywords,
                       stated_changes, published_at) values ($1::uuid, $2, $3, $4, $5, $6, $7)
                   on conflict (document_id) do update set kind_admin = excluded.kind_admin, updated_at = now()""",
                doc.id,
                doc.site_id,
                kind,
                *_content_args(doc),
            )
    try:
        return await get_interpretation(pool, document_id)
    except NotFound:
        return None


def _item(r: asyncpg.Record) -> Interpretation:
    return Interpretation(
        id=r["id"],
        title=r["title"],
        url=r["url"],
        site_id=r["site_id"],
        kind=r["kind"],
        kind_source=r["kind_source"],
        background=r["background"],
        keywords=tuple(r["keywords"]),
        stated_changes=r["stated_changes"],
        published_at=r["published_at"],
    )


async def get_interpretation(pool: asyncpg.Pool, document_id: str) -> Interpretation:
    row = await pool.fetchrow(_ITEM + " where e.document_id = $1::uuid", document_id)
    if row is None:
        raise NotFound(f"no interpretation or response with id {document_id!r} (not a page of a section)")
    return _item(row)


async def list_interpretations(
    pool: asyncpg.Pool, *, site_id: str, kind: str | None, first: int, after: str | None
) -> InterpretationPage:
    """A site's section, newest first, `first` items after the cursor."""
    check_kind(kind)
    await get_site(pool, site_id)  # NOT_FOUND for an unknown site
    listing = listing_of(site_id, kind)
    day, ident = decode_cursor(after, listing) if after else (None, None)
    rows = await pool.fetch(_LIST, site_id, kind, day, ident, first + 1)
    items = [_item(r) for r in rows[:first]]
    cursor = encode_cursor(listing, items[-1]) if items else None
    return InterpretationPage(items, cursor, len(rows) > first)


async def kind_counts(pool: asyncpg.Pool, site_id: str) -> list[tuple[str, int]]:
    rows = await pool.fetch(
        f"""select {_KIND} as kind, count(*) from policy_explainers e join live_documents d on d.id = e.document_id
            where e.site_id = $1 group by 1 order by 2 desc, 1""",
        site_id,
    )
    return [(r["kind"], int(r["count"])) for r in rows]


async def explained_policies(pool: asyncpg.Pool, ids: list[str]) -> dict[str, list[Policy]]:
    """The canonical policies each of these pages explains; one statement for a page of them."""
    rows = await pool.fetch(
        _EXPLAINED
        + POLICY_SELECT.replace("select ", "select c.document_id::text as explainer_id, ", 1)
        + " join chosen c on c.policy_id = p.document_id order by p.published_date desc nulls last, p.document_id",
        ids,
    )
    found: dict[str, list[Policy]] = {i: [] for i in ids}
    for r in rows:
        found.setdefault(r["explainer_id"], []).append(policy_row(r))
    return found

"""Writing the policy library: records, their 文号 rows, reprint clusters, mentions and admin overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import asyncpg

from core.documents import document_exists, queue_reprojections, set_canonical_ids
from core.errors import Invalid, NotFound
from core.locks import Lock
from core.policy.derive import VALIDITIES, PolicyRecord
from core.policy.links import INTERPRETATION_KINDS, RESPONSE_KINDS, Explaining
from core.policy.queries import check_id
from core.policy.reprints import bands, is_reprint, to_signed, to_unsigned


async def upsert_policy(conn: asyncpg.Connection, rec: PolicyRecord, *, theme: str | None, source: str | None) -> bool:
    """Store a record in the caller's transaction (the admin's validity is kept); True when it changed."""
    h = rec.simhash
    b = bands(h)
    top = theme.split("\\")[0] if theme else None
    row = await conn.fetchrow(
        """insert into policies (document_id, title, names, issuers, written_date, published_date, year, validity_page,
                                 expires_on, audience, theme, theme_top, theme_source, simhash, band0, band1, band2,
                                 band3, canonical_id, content_hash)
           values ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $1::uuid, $19)
           on conflict (document_id) do update set
               title = excluded.title, names = excluded.names, issuers = excluded.issuers,
               written_date = excluded.written_date, published_date = excluded.published_date, year = excluded.year,
               validity_page = excluded.validity_page, expires_on = excluded.expires_on,
               audience = excluded.audience, theme = excluded.theme, theme_top = excluded.theme_top,
               theme_source = excluded.theme_source, simhash = excluded.simhash, band0 = excluded.band0,
               band1 = excluded.band1, band2 = excluded.band2, band3 = excluded.band3,
               content_hash = excluded.content_hash, updated_at = now()
           where policies.content_hash <> excluded.content_hash or policies.theme is distinct from excluded.theme
           returning document_id""",
        rec.document_id,
        rec.title,
        list(rec.names),
        list(rec.issuers),
        rec.written_date,
        rec.published_date,
        rec.year,
        rec.validity_page,
        rec.expires_on,
        list(rec.audience),
        theme,
        top,
        source if theme else None,
        to_signed(h),
        *b,
        rec.content_hash,
    )
    if row is None:
        return False
    await conn.execute("delete from policy_doc_nos where document_id = $1::uuid", rec.document_id)
    await conn.executemany(
        """insert into policy_doc_nos (document_id, position, prefix, year, number, normalized)
           values ($1::uuid, $2, $3, $4, $5, $6) on conflict do nothing""",
        [(rec.document_id, i, d.prefix, d.year, d.number, d.normalized) for i, d in enumerate(rec.doc_nos)],
    )
    await recluster(conn, rec.document_id)
    return True


async def _lock_clusters(conn: asyncpg.Connection) -> None:
    """Serialise re-clustering until the caller's transaction ends: two reprints written at once by two
    consumers would otherwise each miss the other's uncommitted row and both stay canonical."""
    await Lock.POLICY_REPRINTS.hold(conn)


async def delete_policy(conn: asyncpg.Connection, document_id: str) -> None:
    """Forget a document that is gone or no longer a policy; its former copies find a new canonical."""
    await delete_policies(conn, [document_id])


async def delete_policies(conn: asyncpg.Connection, document_ids: Sequence[str]) -> None:
    """Forget documents that are gone or no longer policies, a batch in a few statements (nearly always none of
    them was one); the former copies of those that were find a new canonical."""
    ids = sorted(set(document_ids))
    if not ids:
        return
    orphans = await conn.fetch(
        "delete from policies where document_id = any($1::uuid[]) returning document_id::text", ids
    )
    affected = set(ids)
    if orphans:
        await _lock_clusters(conn)
        rows = await conn.fetch(
            "select document_id::text from policies where canonical_id = any($1::uuid[]) order by 1",
            [r["document_id"] for r in orphans],
        )
        for r in rows:
            await _assign(conn, r["document_id"])
            affected.add(r["document_id"])
    await sync_documents(conn, affected)


_KEYS = """p.names || coalesce((select array_agg(n.normalized) from policy_doc_nos n
                                 where n.document_id = p.document_id), '{}')"""


async def _neighbours(conn: asyncpg.Connection, h: int, keys: list[str]) -> list[asyncpg.Record]:
    rows = await conn.fetch(
        f"""select p.document_id::text as id, p.simhash, p.published_date, d.first_seen, {_KEYS} as keys
            from policies p join live_documents d on d.id = p.document_id
            where (p.band0 = $1 or p.band1 = $2 or p.band2 = $3 or p.band3 = $4)""",
        *bands(h),
    )
    return [r for r in rows if is_reprint(to_unsigned(r["simhash"]), r["keys"], h, keys)]


def _order(r: asyncpg.Record) -> tuple[date, datetime, str]:
    return (r["published_date"] or date.max, r["first_seen"], r["id"])


async def _assign(conn: asyncpg.Connection, document_id: str) -> list[str]:
    """Point a policy at the earliest of its near-duplicates (itself when it has none); its neighbours' ids."""
    me = await conn.fetchrow(
        f"select p.simhash, {_KEYS} as keys from policies p where p.document_id = $1::uuid", document_id
    )
    if me is None:
        return []
    near = await _neighbours(conn, to_unsigned(me["simhash"]), list(me["keys"]))
    canonical = min(near, key=_order)["id"] if near else document_id
    await conn.execute(
        "update policies set canonical_id = $2::uuid where document_id = $1::uuid and canonical_id <> $2::uuid",
        document_id,
        canonical,
    )
    return [r["id"] for r in near]


async def recluster(conn: asyncpg.Connection, document_id: str) -> None:
    """Re-pick the canonical of a changed policy, of its near-duplicates and of its former copies."""
    await _lock_clusters(conn)
    former = await conn.fetch(
        "select document_id::text from policies where canonical_id = $1::uuid and document_id <> $1::uuid", document_id
    )
    affected = {document_id, *(r["document_id"] for r in former)}
    affected.update(await _assign(conn, document_id))
    for other in sorted(affected - {document_id}):
        await _assign(conn, other)
    await sync_documents(conn, affected)


# Documents of these clusters (or pointing at them) whose reprint pointer differs from their policy's cluster.
# Three index lookups in a union: written as one `or`, Postgres scanned every document (20 ms at 40,000).
_CANONICALS_DUE = """
with near as (
    select unnest($1::uuid[]) as id
    union select d.id from document_canonicals d where d.canonical_id = any($1::uuid[])
    union select q.document_id from policies q where q.canonical_id = any($1::uuid[])
)
select d.id::text as id, nullif(p.canonical_id, d.id)::text as new
from near n join document_canonicals d on d.id = n.id left join policies p on p.document_id = d.id
where d.canonical_id is distinct from nullif(p.canonical_id, d.id)
"""


async def sync_documents(conn: asyncpg.Connection, ids: set[str]) -> None:
    """Copy the clusters of these policies (and of what pointed at them) to `documents.canonical_id`, where
    the search projection reads them (null: canonical); documents whose hit changes are announced again."""
    due = await conn.fetch(_CANONICALS_DUE, sorted(ids))
    changed = await set_canonical_ids(conn, {r["id"]: r["new"] for r in due})
    # The copy leaves or joins the index, and the canonicals it leaves and joins list it no more or now.
    await queue_reprojections(conn, {v for change in changed for v in change if v})


async def replace_mentions(conn: asyncpg.Connection, document_id: str, found: Explaining | None) -> None:
    """What an explaining page names, replaced as a whole (nothing when it is no longer one)."""
    await replace_mentions_of(conn, {document_id: found})


async def replace_mentions_of(conn: asyncpg.Connection, found: Mapping[str, Explaining | None]) -> None:
    """What each page of a batch names (document id -> what it explains, None: nothing), replaced as a whole."""
    if not found:
        return
    await conn.execute("delete from policy_mentions where document_id = any($1::uuid[])", sorted(found))
    rows = [
        (document_id, f.relation, f.kind, by, value)
        for document_id, f in found.items()
        if f is not None
        for by, value in [*(("doc_no", v) for v in f.doc_nos), *(("title", v) for v in f.titles)]
    ]
    if rows:
        await conn.executemany(
            """insert into policy_mentions (document_id, relation, kind, by, value)
               values ($1::uuid, $2, $3, $4, $5) on conflict do nothing""",
            rows,
        )


async def set_validity(pool: asyncpg.Pool, policy_id: str, validity: str | None) -> None:
    """The admin's validity (None: back to what the page says)."""
    policy_id = check_id(policy_id, "id")
    if validity is not None and validity not in VALIDITIES:
        raise Invalid(f"validity must be one of {'、'.join(VALIDITIES)} (or null to use the page's)")
    done = await pool.execute(
        "update policies set validity_admin = $2, updated_at = now() where document_id = $1::uuid", policy_id, validity
    )
    if done.endswith(" 0"):
        raise NotFound(f"no policy with id {policy_id!r}")


async def set_link(
    pool: asyncpg.Pool, *, policy_id: str, document_id: str, link: bool, kind: str | None = None
) -> None:
    """Admin link (kind: 文字解读 … 热点回应) or unlink of an explaining page; wins over mentions."""
    kind = kind or "文字解读"
    if kind not in (*INTERPRETATION_KINDS, *RESPONSE_KINDS):
        raise Invalid(f"kind must be one of {'、'.join((*INTERPRETATION_KINDS, *RESPONSE_KINDS))}")
    relation = "response" if kind in RESPONSE_KINDS else "interpretation"
    policy_id, document_id = check_id(policy_id, "policyId"), check_id(document_id, "documentId")
    if not await pool.fetchval("select 1 from policies where document_id = $1::uuid", policy_id):
        raise NotFound(f"no policy with id {policy_id!r}")
    if not await document_exists(pool, document_id):
        raise NotFound(f"no document with id {document_id!r}")
    if policy_id == document_id:
        raise Invalid("a policy cannot explain itself")
    await pool.execute(
        """insert into policy_link_overrides (policy_id, document_id, action, relation, kind)
           values ($1::uuid, $2::uuid, $3, $4, $5)
           on conflict (policy_id, document_id) do update set action = excluded.action, relation = excluded.relation,
               kind = excluded.kind, updated_at = now()""",
        policy_id,
        document_id,
        "link" if link else "unlink",
        relation,
        kind,
    )


async def labelled_pages(pool: asyncpg.Pool, limit: int = 5000) -> Sequence[asyncpg.Record]:
    """Policy pages that carry their own 主题分类: the classifier's training set."""
    return await pool.fetch(
        """select d.title, d.text, d.metadata->>'theme' as theme from live_documents d
           where d.kind = 'policy' and coalesce(d.metadata->>'theme', '') <> ''
           order by d.last_changed desc limit $1""",
        limit,
    )


async def labelled_count(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval(
            "select count(*) from live_documents where kind = 'policy' and coalesce(metadata->>'theme', '') <> ''"
        )
    )

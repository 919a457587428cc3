"""Q&A pairs, the change counter and conversation context in Postgres."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from core.errors import NotFound
from core.qa.models import Basis, QaPair, SessionContext

_COLUMNS = "id, question, answer, basis_url, basis_title, basis_kind, tags, status, source, version, seq"


def content_hash(pair: QaPair) -> str:
    """What decides whether a stored pair changed."""
    raw = json.dumps(
        [pair.question, pair.answer, pair.basis.url, pair.basis.title, pair.basis.kind, list(pair.tags), pair.status],
        ensure_ascii=False,
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _pair(r: asyncpg.Record) -> QaPair:
    return QaPair(
        id=r["id"],
        question=r["question"],
        answer=r["answer"],
        basis=Basis(r["basis_url"], r["basis_title"], r["basis_kind"]),
        tags=tuple(r["tags"]),
        status=r["status"],
        source=r["source"],
        version=r["version"],
    )


async def current_version(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("select version from qa_state"))


async def changed_since(pool: asyncpg.Pool, seq: int) -> tuple[list[QaPair], int]:
    """Pairs changed after `seq` (retired ones too, so readers drop them) and the version they reach."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        version = int(await conn.fetchval("select version from qa_state"))
        rows = await conn.fetch(f"select {_COLUMNS} from qa_pairs where seq > $1 and seq <= $2", seq, version)
    return [_pair(r) for r in rows], version


async def same_pair(pool: asyncpg.Pool, question: str, answer: str) -> str | None:
    """The id of an active pair with exactly this question and answer (the same pair added twice), if any."""
    found: str | None = await pool.fetchval(
        "select id from qa_pairs where status = 'active' and question = $1 and answer = $2 order by id limit 1",
        question,
        answer,
    )
    return found


async def upsert_pairs(
    conn: asyncpg.Connection, pairs: Sequence[QaPair], *, document_id: str | None = None
) -> dict[str, str]:
    """Store pairs in the caller's transaction; id → added / updated / unchanged."""
    seq = await conn.fetchval("update qa_state set version = version + 1 returning version")
    outcome: dict[str, str] = {}
    for p in pairs:
        row = await conn.fetchrow(
            """insert into qa_pairs (id, question, answer, basis_url, basis_title, basis_kind, tags, status, source,
                                     content_hash, seq, document_id)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::uuid)
               on conflict (id) do update set
                   question = excluded.question, answer = excluded.answer, basis_url = excluded.basis_url,
                   basis_title = excluded.basis_title, basis_kind = excluded.basis_kind, tags = excluded.tags,
                   status = excluded.status, source = excluded.source, content_hash = excluded.content_hash,
                   seq = excluded.seq, document_id = coalesce(excluded.document_id, qa_pairs.document_id),
                   version = qa_pairs.version + 1, updated_at = now()
               where qa_pairs.content_hash <> excluded.content_hash
               returning (xmax = 0) as inserted""",
            p.id,
            p.question,
            p.answer,
            p.basis.url,
            p.basis.title,
            p.basis.kind,
            list(p.tags),
            p.status,
            p.source,
            content_hash(p),
            seq,
            document_id,
        )
        outcome[p.id] = "unchanged" if row is None else ("added" if row["inserted"] else "updated")
    return outcome


async def get_pair(pool: asyncpg.Pool, qa_id: str) -> QaPair:
    row = await pool.fetchrow(f"select {_COLUMNS} from qa_pairs where id = $1", qa_id)
    if row is None:
        raise NotFound(f"no Q&A pair with id {qa_id!r}")
    return _pair(row)


async def retire_pairs_of_document(conn: asyncpg.Connection, document_id: str, keep: Sequence[str]) -> int:
    """Retire pairs once extracted from a page that no longer yields them; the version moves only if one goes."""
    doomed = """document_id = $1::uuid and status = 'active' and not (id = any($2::text[]))"""
    # Readers refresh on every new version, so none is taken for nothing; the check takes no lock, keeping
    # the order upsert_pairs takes them in (qa_state, then the pairs).
    if not await conn.fetchval(f"select exists (select 1 from qa_pairs where {doomed})", document_id, list(keep)):
        return 0
    seq = await conn.fetchval("update qa_state set version = version + 1 returning version")
    result = await conn.execute(
        f"update qa_pairs set status = 'retired', seq = $3, version = version + 1, updated_at = now() where {doomed}",
        document_id,
        list(keep),
        seq,
    )
    return int(result.split()[-1])


async def load_context(pool: asyncpg.Pool, session_id: str) -> SessionContext:
    raw: Any = await pool.fetchval("select context from qa_sessions where id = $1", session_id)
    data = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return SessionContext(data.get("qa_id"), data.get("topic"), int(data.get("turns", 0)), data.get("personal"))


async def save_context(pool: asyncpg.Pool, session_id: str, context: SessionContext) -> None:
    fields = {"qa_id": context.qa_id, "topic": context.topic, "turns": context.turns, "personal": context.personal}
    data = json.dumps(fields, ensure_ascii=False)
    await pool.execute(
        """insert into qa_sessions (id, context) values ($1, $2::jsonb)
           on conflict (id) do update set context = excluded.context, updated_at = now()""",
        session_id,
        data,
    )

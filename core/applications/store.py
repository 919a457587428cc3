"""The SQL of `applications` and `application_steps` (core.applications owns them)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import asyncpg

from core.applications.models import Application, Step

COLUMNS = """platform, application_id, username, service, department, site_id, stage, status, note, seq,
             occurred_at, submitted_at"""
# The newer report wins: a larger seq, or the same seq reported later. The first time seen is kept as submitted.
UPSERT = """
    insert into applications (platform, application_id, username, service, department, site_id, stage, status,
                              note, seq, occurred_at, submitted_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
    on conflict (platform, application_id) do update set
        username = excluded.username, service = excluded.service, department = excluded.department,
        site_id = excluded.site_id, stage = excluded.stage, status = excluded.status, note = excluded.note,
        seq = excluded.seq, occurred_at = excluded.occurred_at,
        submitted_at = least(applications.submitted_at, excluded.occurred_at), updated_at = now()
    where (applications.seq, applications.occurred_at) < (excluded.seq, excluded.occurred_at)
    returning seq"""
EARLIER = """
    update applications set submitted_at = $3
    where platform = $1 and application_id = $2 and submitted_at > $3"""
STEP = """
    insert into application_steps (platform, application_id, seq, stage, status, note, occurred_at)
    values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing"""
# The page and the user's total in one round trip (both from the user's index range).
BY_USER = f"""
    with total as (select count(*) as n from applications where username = $1)
    select total.n as total, page.* from total left join lateral (
        select {COLUMNS} from applications where username = $1
        order by occurred_at desc, platform, application_id offset $2 limit $3
    ) page on true"""
STEPS_OF = """
    select platform, application_id, seq, stage, status, note, occurred_at from application_steps
    where (platform, application_id) in (select * from unnest($1::text[], $2::text[])) order by seq, occurred_at"""


async def store_update(conn: Any, values: dict[str, Any]) -> bool:
    """Record one report; True when it became the application's newest state (False: older or repeated)."""
    key = (values["platform"], values["application_id"])
    newest = await conn.fetchval(
        UPSERT,
        *key,
        values["username"],
        values["service"],
        values["department"],
        values["site_id"],
        values["stage"],
        values["status"],
        values["note"],
        values["seq"],
        values["occurred_at"],
    )
    if newest is None:  # an older report arrived late: it may still be the earliest, and it is a step
        await conn.execute(EARLIER, *key, values["occurred_at"])
    await conn.execute(
        STEP, *key, values["seq"], values["stage"], values["status"], values["note"], values["occurred_at"]
    )
    return newest is not None


async def get_application(conn: Any, platform: str, application_id: str) -> Application | None:
    row = await conn.fetchrow(
        f"select {COLUMNS} from applications where platform = $1 and application_id = $2", platform, application_id
    )
    return (await _with_steps(conn, [row]))[0] if row else None


async def applications_of(conn: Any, *, username: str, offset: int, limit: int) -> tuple[list[Application], int]:
    rows = await conn.fetch(BY_USER, username, offset, limit)
    page = [{k: v for k, v in r.items() if k != "total"} for r in rows if r["platform"] is not None]
    return await _with_steps(conn, page), int(rows[0]["total"])


async def _with_steps(conn: Any, rows: list[asyncpg.Record] | list[dict[str, Any]]) -> list[Application]:
    if not rows:
        return []
    found = await conn.fetch(STEPS_OF, [r["platform"] for r in rows], [r["application_id"] for r in rows])
    steps: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for s in found:
        steps[(s["platform"], s["application_id"])].append(
            Step(seq=s["seq"], stage=s["stage"], status=s["status"], note=s["note"], occurred_at=s["occurred_at"])
        )
    return [Application(**dict(r), steps=steps[(r["platform"], r["application_id"])]) for r in rows]

"""What halls read from Postgres: the service guides their POIs name, through core.documents' read-only view."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from core.halls.guides import guide_from, guide_titles, service_id_of
from core.halls.models import ServiceGuide


async def service_guides(pool: asyncpg.Pool, service_ids: Sequence[str]) -> dict[str, ServiceGuide]:
    """The newest live service guide of each id that has one; ids without a guide are absent."""
    if not service_ids:
        return {}
    rows = await pool.fetch(
        """select id::text as id, url, title, text, attachments from live_documents
           where kind = 'service' and title = any($1::text[])
           order by last_changed desc""",
        guide_titles(service_ids),
    )
    found: dict[str, ServiceGuide] = {}
    for r in rows:
        raw = r["attachments"]
        attachments = json.loads(raw) if isinstance(raw, str) else (raw or [])
        guide = guide_from(document_id=r["id"], url=r["url"], title=r["title"], text=r["text"], attachments=attachments)
        found.setdefault(guide.id, guide)
    return {k: v for k, v in found.items() if k in set(service_ids)}


async def known_service_ids(pool: asyncpg.Pool) -> set[str]:
    """Every 事项名称 a live service guide carries."""
    rows = await pool.fetch("select title from live_documents where kind = 'service'")
    return {service_id_of(r["title"]) for r in rows}

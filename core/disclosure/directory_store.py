"""SQL of a unit's service directory and hotlines (disclosure_services, migration 0029)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from core.disclosure.models import Service
from core.disclosure.store import Conn

COLUMNS = "id, unit_code, kind, name, category, hours, phone, address, note, updated_at"


async def save(conn: Conn, v: dict[str, Any]) -> Service:
    row = await conn.fetchrow(
        f"""insert into disclosure_services (unit_code, kind, name, category, hours, phone, address, note)
            values ($1, $2, $3, $4, $5, $6, $7, $8)
            on conflict (unit_code, kind, name) do update set category = excluded.category, hours = excluded.hours,
                phone = excluded.phone, address = excluded.address, note = excluded.note, updated_at = now()
            returning {COLUMNS}""",
        v["unit_code"],
        v["kind"],
        v["name"],
        v["category"],
        v["hours"],
        v["phone"],
        v["address"],
        v["note"],
    )
    return Service(**dict(row))


async def delete(conn: Conn, unit_code: str, service_id: UUID) -> bool:
    done = await conn.execute("delete from disclosure_services where id = $1 and unit_code = $2", service_id, unit_code)
    return done != "DELETE 0"


async def of_unit(conn: Conn, unit_code: str, kind: str, limit: int) -> list[Service]:
    rows = await conn.fetch(
        f"""select {COLUMNS} from disclosure_services where unit_code = $1 and kind = $2
            order by category, name limit $3""",
        unit_code,
        kind,
        limit,
    )
    return [Service(**dict(r)) for r in rows]

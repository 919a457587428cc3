"""A unit's 便民服务 and 沟通互动 beyond names: its service directory (hours, phone, address), its hotlines, its
mailboxes (书记信箱 / 主任信箱: letters to the unit's site, the mailbox a department) and complaint routing (a
complaint about an item goes to the unit above the item's unit, 监督管理)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from core.disclosure import directory_store as ds
from core.disclosure import store
from core.disclosure.hierarchy import check_code, parent_code
from core.disclosure.models import Item, Service, Unit
from core.errors import Invalid, NotFound

KINDS = ("服务", "热线")
MAILBOXES = ("书记信箱", "主任信箱")
SUPERVISION = "监督管理"
LIST_MAX = 200  # a unit's services or hotlines, at most
PHONE = re.compile(r"[0-9][0-9\- ]{2,30}")
LIMITS = {"name": 100, "category": 32, "hours": 100, "phone": 32, "address": 200, "note": 1000}


@dataclass(frozen=True, kw_only=True)
class ServiceDraft:
    """A service (办事指南 entry: where, when, which phone) or a hotline of a unit, as an editor gives it."""

    unit_code: str
    kind: str
    name: str
    category: str = ""
    hours: str = ""
    phone: str = ""
    address: str = ""
    note: str = ""

    def check(self) -> dict[str, Any]:
        if self.kind not in KINDS:
            raise Invalid(f"kind must be one of {' / '.join(KINDS)}, not {self.kind!r}")
        v: dict[str, Any] = {"unit_code": check_code(self.unit_code), "kind": self.kind}
        for name, most in LIMITS.items():
            value = str(getattr(self, name)).strip()
            if len(value) > most:
                raise Invalid(f"{name} is {len(value)} characters; at most {most} are allowed")
            v[name] = value
        if not v["name"]:
            raise Invalid("name must not be empty")
        if v["phone"] and not PHONE.fullmatch(v["phone"]):
            raise Invalid(f"phone {v['phone']!r} is not a telephone number (digits, '-' and spaces)")
        if self.kind == "热线" and not v["phone"]:
            raise Invalid("a hotline needs its phone number")
        return v


async def _unit(conn: store.Conn, code: str) -> Unit:
    found = await store.get_unit(conn, check_code(code))
    if found is None:
        raise NotFound(f"no unit with code {code}")
    return found


async def save_service(*, pool: asyncpg.Pool, draft: ServiceDraft) -> Service:
    """Add a service or hotline to a unit, or change the one of that kind and name."""
    v = draft.check()
    await _unit(pool, v["unit_code"])
    return await ds.save(pool, v)


async def delete_service(*, pool: asyncpg.Pool, unit: str, service_id: UUID) -> None:
    if not await ds.delete(pool, check_code(unit), service_id):
        raise NotFound(f"unit {unit} has no service or hotline with id {service_id}")


async def list_services(*, pool: asyncpg.Pool, unit: str, kind: str) -> list[Service]:
    return await ds.of_unit(pool, check_code(unit), kind, LIST_MAX)


def mailbox_department(code: str, mailbox: str) -> str:
    """The department a unit's mailbox is for core.letters (the unit's code, so repliers are per unit)."""
    return f"{code} {mailbox}"


async def mailbox_route(*, pool: asyncpg.Pool, unit: str, mailbox: str) -> tuple[str, str]:
    """(site, department) a letter to a unit's mailbox goes to."""
    found = await _unit(pool, unit)
    if mailbox not in MAILBOXES:
        raise Invalid(f"mailbox must be one of {' / '.join(MAILBOXES)}, not {mailbox!r}")
    return found.site_id, mailbox_department(found.code, mailbox)


async def complaint_route(*, pool: asyncpg.Pool, item_id: UUID) -> tuple[Item, Unit]:
    """The published item complained about and the unit that supervises it: the unit above the item's unit (a
    市's own items: the 市 itself)."""
    item = await store.get_item(pool, item_id)
    if item is None or not item.counted:
        raise NotFound(f"no published item with id {item_id}")
    above = parent_code(item.unit_code) or item.unit_code
    return item, await _unit(pool, above)


def complaint_department(unit: Unit) -> str:
    return mailbox_department(unit.code, SUPERVISION)

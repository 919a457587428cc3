"""Units of the hierarchy: added from division rows (validated against their codes), each a site of its level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import asyncpg

from core.disclosure import store
from core.disclosure.hierarchy import LEVELS, check_code, check_parent, level_of, parent_code, site_id_of
from core.disclosure.models import Unit
from core.errors import Invalid, NotFound
from core.sites import add_sites_if_missing

NAME_MAX = 100


@dataclass(frozen=True, kw_only=True)
class UnitRow:
    """A unit as a file or the demo gives it: the parent and level are optional, and checked when given."""

    code: str
    name: str
    parent_code: str | None = None
    level: str | None = None

    def check(self) -> Unit:
        code = check_code(self.code)
        level = level_of(code)
        if self.level and self.level.strip() and self.level.strip() != level:
            raise Invalid(f"unit {code} is a {level} by its code, not a {self.level.strip()}")
        name = self.name.strip()
        if not name or len(name) > NAME_MAX:
            raise Invalid(f"unit {code}: a name of 1-{NAME_MAX} characters is needed")
        declared = check_code(self.parent_code, where="parent code") if self.parent_code else None
        check_parent(code, declared, name)
        return Unit(code=code, name=name, level=level, parent_code=parent_code(code), site_id=site_id_of(code))


def check_units(rows: Sequence[UnitRow], known: set[str]) -> list[Unit]:
    """Every row checked, parents before children; a unit whose parent is neither stored nor in `rows`, or a code
    given twice, is Invalid (nothing is added then)."""
    units = sorted((r.check() for r in rows), key=lambda u: (LEVELS.index(u.level), u.code))
    for u, after in pairwise(units):
        if u.code == after.code:
            raise Invalid(f"unit {u.code} is given twice ({u.name}, {after.name}): keep one row of it")
    present = set(known)
    for u in units:
        if u.parent_code is not None and u.parent_code not in present:
            raise Invalid(f"{u.level} {u.code} ({u.name}): its parent {u.parent_code} is not a known unit")
        present.add(u.code)
    return units


async def add_units(*, pool: asyncpg.Pool, rows: Sequence[UnitRow]) -> list[Unit]:
    """Add (or rename) units; each gets a disabled site of its level with no crawl configuration."""
    async with pool.acquire() as conn:
        known = await store.all_unit_codes(conn)
    units = check_units(rows, known)
    # core.sites' own function: idempotent, so a failure below leaves nothing wrong behind
    await add_sites_if_missing(pool, [(u.site_id, u.name, u.level) for u in units])
    async with pool.acquire() as conn, conn.transaction():
        await store.upsert_units(conn, units)
    return units


async def get_unit(*, pool: asyncpg.Pool, code: str) -> Unit:
    found = await store.get_unit(pool, check_code(code))
    if found is None:
        raise NotFound(f"no unit with code {code}")
    return found


async def get_units(*, pool: asyncpg.Pool, codes: Sequence[str]) -> dict[str, Unit]:
    return await store.get_units(pool, codes)


async def list_children(*, pool: asyncpg.Pool, parent: str | None, offset: int, limit: int) -> tuple[list[Unit], int]:
    """The units directly below `parent` (the top-level 市 when None), in code order."""
    if parent is not None:
        await get_unit(pool=pool, code=parent)
    return await store.children(pool, parent, offset, limit)

"""Roles of people: web-office `admin`, site `editor`, department `replier`. The only SQL on `identity_roles`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

import asyncpg

from core.errors import Invalid, NotFound
from core.identity.principal import ROLE_NAMES, Role, RoleName
from core.sites import check_site_id, get_site

MAX_DEPARTMENT = 64  # characters of a department's name, as letters.department allows

ROLES_OF = """select role, site_id, department from identity_roles where user_id = $1
order by role, site_id nulls first, department nulls first"""

GRANT = """insert into identity_roles (user_id, role, site_id, department, granted_by) values ($1, $2, $3, $4, $5)
on conflict do nothing returning user_id"""

REVOKE = """delete from identity_roles
where user_id = $1 and role = $2 and site_id is not distinct from $3 and department is not distinct from $4
returning user_id"""

LIST = """select r.user_id, p.username, r.role, r.site_id, r.department, r.granted_by, r.granted_at
from identity_roles r join identity_people p on p.id = r.user_id
where ($1::uuid is null or r.user_id = $1)
order by p.username, r.role, r.site_id nulls first, r.department nulls first"""

USER_ID = "select id from identity_people where username = $1"


@dataclass(frozen=True, kw_only=True)
class RoleGrant:
    """A role held by a person, who granted it and when."""

    user_id: UUID
    username: str
    role: Role
    granted_by: str | None
    granted_at: datetime


def _role(name: str, site_id: str | None, department: str | None) -> Role:
    return Role(name=cast(RoleName, name), site_id=site_id, department=department)


def check_role(role: str, *, site_id: str | None = None, department: str | None = None) -> Role:
    """The role when its shape is right: an editor names one site, a replier one department, an admin neither."""
    if role not in ROLE_NAMES:
        raise Invalid(f"role must be one of {', '.join(ROLE_NAMES)}, not {role!r}")
    department = department.strip() if department is not None else None
    if role == "editor" and not site_id:
        raise Invalid("an editor edits one site: name the site")
    if role == "replier" and not department:
        raise Invalid("a replier answers for one department: name the department")
    if role != "editor" and site_id:
        raise Invalid(f"the {role} role takes no site (only editors are per site)")
    if role != "replier" and department:
        raise Invalid(f"the {role} role takes no department (only repliers are per department)")
    if department is not None and len(department) > MAX_DEPARTMENT:
        raise Invalid(f"a department's name is at most {MAX_DEPARTMENT} characters")
    return _role(role, check_site_id(site_id, where="site") if site_id else None, department)


async def roles_of(conn_or_pool: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> tuple[Role, ...]:
    """Every role the user holds (none for an unknown user)."""
    rows = await conn_or_pool.fetch(ROLES_OF, user_id)
    return tuple(_role(r["role"], r["site_id"], r["department"]) for r in rows)


async def user_id_of(*, pool: asyncpg.Pool, username: str) -> UUID:
    """The id of the account with this username; NotFound naming it otherwise."""
    found = await pool.fetchval(USER_ID, username)
    if found is None:
        raise NotFound(f"no user named {username!r}")
    return UUID(str(found))


async def grant_role(
    *,
    pool: asyncpg.Pool,
    user_id: UUID,
    role: str,
    site_id: str | None = None,
    department: str | None = None,
    granted_by: str | None = None,
) -> bool:
    """Give the user a role; False when they held it already. An editor's site must exist (NotFound)."""
    checked = check_role(role, site_id=site_id, department=department)
    if checked.site_id is not None:
        await get_site(pool, checked.site_id)
    try:
        row = await pool.fetchval(GRANT, user_id, checked.name, checked.site_id, checked.department, granted_by)
    except asyncpg.ForeignKeyViolationError:
        raise NotFound(f"no user with id {user_id}") from None
    return row is not None


async def revoke_role(
    *, pool: asyncpg.Pool, user_id: UUID, role: str, site_id: str | None = None, department: str | None = None
) -> bool:
    """Take a role away; False when the user did not hold it."""
    checked = check_role(role, site_id=site_id, department=department)
    row = await pool.fetchval(REVOKE, user_id, checked.name, checked.site_id, checked.department)
    return row is not None


async def list_roles(*, pool: asyncpg.Pool, user_id: UUID | None = None) -> list[RoleGrant]:
    """Every role granted (of one user when given), by username."""
    rows = await pool.fetch(LIST, user_id)
    return [
        RoleGrant(
            user_id=r["user_id"],
            username=r["username"],
            role=_role(r["role"], r["site_id"], r["department"]),
            granted_by=None if r["granted_by"] is None else str(r["granted_by"]),
            granted_at=r["granted_at"],
        )
        for r in rows
    ]

"""`yiwang roles grant|revoke|list`: give people the admin, editor (per site) or replier (per department) role."""

from __future__ import annotations

import argparse
import asyncio
import getpass
from collections.abc import Awaitable, Callable

import asyncpg

from core.audit import AuditRecord, record
from core.db import connect_pool
from core.errors import Invalid
from core.identity import roles
from core.identity.principal import ROLE_NAMES, Role
from ops.runtime import resolve


def describe(role: Role) -> str:
    if role.name == "editor":
        return f"editor of site {role.site_id}"
    if role.name == "replier":
        return f"replier for {role.department}"
    return "admin"


def _check_flags(args: argparse.Namespace) -> Role:
    """The role the flags name, checked before anything connects: each flag error says which flag to give."""
    if args.role == "editor" and not args.site:
        raise Invalid("--role editor needs --site SITE (an editor edits one site)")
    if args.role == "replier" and not args.department:
        raise Invalid("--role replier needs --department DEPT (a replier answers for one department)")
    if args.role != "editor" and args.site:
        raise Invalid(f"--site is only for --role editor, not {args.role}")
    if args.role != "replier" and args.department:
        raise Invalid(f"--department is only for --role replier, not {args.role}")
    return roles.check_role(args.role, site_id=args.site, department=args.department)


def operator() -> str:
    return f"cli:{getpass.getuser()}"


async def _audit(pool: asyncpg.Pool, action: str, username: str, role: Role, changed: bool) -> None:
    """Role changes made at the server's CLI are on the audit trail too (actor `operator`)."""
    arguments = {"username": username, "role": role.name, "site": role.site_id, "department": role.department}
    entry = AuditRecord(
        actor="operator",
        user_id=None,
        username=operator(),
        operation=f"roles {action}",
        operation_type="cli",
        arguments=arguments | {"changed": changed},
        site_id=role.site_id,
        role_needed="operator",
        outcome="allowed",
        client="cli",
    )
    await record(pool=pool, entry=entry)


def _run(work: Callable[[asyncpg.Pool], Awaitable[int]]) -> int:
    async def run() -> int:
        pool = await connect_pool(resolve(nats=False).settings, max_size=2)
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def grant(args: argparse.Namespace) -> int:
    role = _check_flags(args)

    async def work(pool: asyncpg.Pool) -> int:
        user_id = await roles.user_id_of(pool=pool, username=args.username)
        added = await roles.grant_role(
            pool=pool,
            user_id=user_id,
            role=role.name,
            site_id=role.site_id,
            department=role.department,
            granted_by=operator(),
        )
        await _audit(pool, "grant", args.username, role, added)
        print(f"{'granted' if added else 'already held'}: {args.username} is {describe(role)}")
        return 0

    return _run(work)


def revoke(args: argparse.Namespace) -> int:
    role = _check_flags(args)

    async def work(pool: asyncpg.Pool) -> int:
        user_id = await roles.user_id_of(pool=pool, username=args.username)
        removed = await roles.revoke_role(
            pool=pool, user_id=user_id, role=role.name, site_id=role.site_id, department=role.department
        )
        await _audit(pool, "revoke", args.username, role, removed)
        print(f"{'revoked' if removed else 'not held'}: {args.username} {describe(role)}")
        return 0

    return _run(work)


def list_cmd(args: argparse.Namespace) -> int:
    async def work(pool: asyncpg.Pool) -> int:
        user_id = await roles.user_id_of(pool=pool, username=args.user) if args.user else None
        grants = await roles.list_roles(pool=pool, user_id=user_id)
        if not grants:
            print(f"{args.user} holds no role" if args.user else "no roles granted")
        for g in grants:
            at = g.granted_at.isoformat(timespec="seconds")
            print(f"{g.username:<24} {describe(g.role):<40} granted {at} by {g.granted_by or '-'}")
        return 0

    return _run(work)


def _role_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=ROLE_NAMES, help="admin (web office), editor or replier")
    p.add_argument("--site", help="the site an editor edits")
    p.add_argument("--department", help="the department a replier answers for")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("roles", help="grant, revoke or list the roles of people (admin, editor, replier)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    g = actions.add_parser("grant", help="give a person a role")
    _role_flags(g)
    g.set_defaults(func=grant)
    r = actions.add_parser("revoke", help="take a role away from a person")
    _role_flags(r)
    r.set_defaults(func=revoke)
    ls = actions.add_parser("list", help="list who holds which role")
    ls.add_argument("--user", help="only this person's roles")
    ls.set_defaults(func=list_cmd)

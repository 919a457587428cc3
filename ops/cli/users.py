"""`yiwang users add|list|token`: local accounts of the identity provider (个人 / 法人), and bearer tokens for them."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys

from core.audit import AuditRecord, record
from core.clock import system_clock
from core.db import connect_pool
from core.errors import Invalid
from core.identity import accounts
from core.identity.roles import user_id_of
from core.identity.tokens import issue_access_token
from core.settings import Settings
from ops.cli.roles import operator
from ops.cli.up import running_port
from ops.runtime import prepare, resolve


def read_secret_line(what: str, example: str = "printf '%s' \"$PW\"") -> str:
    """One line of stdin without its line ending; Invalid when stdin is empty."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise Invalid(f"{what}: nothing on stdin (pipe it in, e.g. `{example} | yiwang users add …`)")
    return line


async def _add(settings: Settings, args: argparse.Namespace, password: str, id_number: str | None) -> None:
    pool = await connect_pool(settings, max_size=2)
    try:
        user_id = await accounts.create_user(
            pool=pool,
            username=args.username,
            name=args.name,
            password=password,
            kind=args.kind,
            real_name_level=args.real_name_level,
            credit_code=args.credit_code,
            id_number=id_number,
            settings=settings,
        )
    finally:
        await pool.close()
    print(json.dumps({"id": str(user_id), "username": args.username, "kind": args.kind}, ensure_ascii=False))


def add(args: argparse.Namespace) -> int:
    if not args.password_stdin:
        raise Invalid("give the password on stdin with --password-stdin (never on the command line)")
    # Check what can be checked before reading secrets or touching the database.
    accounts.check_username(args.username)
    both = 'printf \'%s\\n%s\\n\' "$PW" "$ID_NUMBER"'  # the number is the line after the password
    password = accounts.check_password(read_secret_line("password", *([both] if args.id_number_stdin else [])))
    id_number = read_secret_line("ID number", both) if args.id_number_stdin else None
    resolved = resolve(nats=False)
    prepare(resolved.settings)
    asyncio.run(_add(resolved.settings, args, password, id_number))
    return 0


async def _list(settings: Settings, as_json: bool) -> None:
    pool = await connect_pool(settings, max_size=2)
    try:
        users = await accounts.list_users(pool=pool)
    finally:
        await pool.close()
    for u in users:
        if as_json:
            row = {
                "id": str(u.id),
                "username": u.username,
                "name": u.name,
                "kind": u.kind,
                "real_name_level": u.real_name_level,
                "credit_code": u.credit_code,
                "totp": u.has_totp,
                "created_at": u.created_at.isoformat(timespec="seconds"),
            }
            print(json.dumps(row, ensure_ascii=False))
        else:
            extra = f"  {u.credit_code}" if u.credit_code else ""
            print(f"{u.username:<24} {u.kind:<6} level {u.real_name_level}  {u.name}{extra}")


def list_cmd(args: argparse.Namespace) -> int:
    asyncio.run(_list(resolve(nats=False).settings, args.json))
    return 0


CLI_CLIENT = "yiwang-cli"  # the client a token made here names (not a registered client: nothing redirects)


async def _token(settings: Settings, username: str) -> str:
    pool = await connect_pool(settings, max_size=2)
    try:
        user_id = await user_id_of(pool=pool, username=username)
        token = await issue_access_token(
            pool=pool, settings=settings, user_id=user_id, client_id=CLI_CLIENT, now=system_clock()
        )
        # What is done with the token is audited as that person; that an operator made it is audited here.
        entry = AuditRecord(
            actor="operator",
            user_id=None,
            username=operator(),
            operation="users token",
            operation_type="cli",
            arguments={"username": username, "issuer": settings.issuer},
            role_needed="operator",
            outcome="allowed",
            client="cli",
        )
        await record(pool=pool, entry=entry)
        return token
    finally:
        await pool.close()


def token_cmd(args: argparse.Namespace) -> int:
    """Print a bearer access token of USERNAME, as the token endpoint would issue it (a real session, signed,
    expiring after ACCESS_TOKEN_TTL_S). Whoever can run this holds the database already: it is the operator's
    way to act as a person (e.g. the demo admin) from a terminal, and what that person does is audited as them."""
    settings = resolve(nats=False).settings
    if args.issuer:  # the web process's issuer (`yiwang up --port N` gives it PORT N, this shell may not have it)
        if not args.issuer.startswith(("http://", "https://")):  # every API would refuse its tokens as a stranger's
            raise Invalid(
                f"--issuer must be the API's http(s) base URL, such as http://127.0.0.1:8000, not {args.issuer!r}"
            )
        settings = dataclasses.replace(settings, public_url=args.issuer)
    elif not settings.public_url and (port := running_port(settings.data_dir)) is not None:
        settings = dataclasses.replace(settings, port=port)  # the `up` of this DATA_DIR, whatever its --port
    print(asyncio.run(_token(settings, args.username)))
    return 0


def _level(value: str) -> int:
    if value not in ("0", "1", "2", "3"):
        raise argparse.ArgumentTypeError(f"real-name level must be 0, 1, 2 or 3, not {value!r}")
    return int(value)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="add or list accounts of the identity provider, or print a bearer token of one")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="add a local account; the password is read from stdin")
    a.add_argument("username")
    a.add_argument("--name", required=True, help="the person's or the organisation's name")
    a.add_argument("--kind", choices=("person", "legal"), default="person", help="个人 (person) or 法人 (legal)")
    a.add_argument("--real-name-level", type=_level, default=0, help="0-3 (default 0)")
    a.add_argument("--credit-code", help="unified social credit code of a legal person (统一社会信用代码)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    a.add_argument(
        "--id-number-stdin",
        action="store_true",
        help="read the resident ID number from the next line of stdin; only its keyed hash is stored",
    )
    a.set_defaults(func=add)
    ls = actions.add_parser("list", help="list accounts")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    ls.set_defaults(func=list_cmd)
    t = actions.add_parser("token", help="print a bearer access token of an account (for the terminal, e.g. curl)")
    t.add_argument("username")
    t.add_argument("--issuer", help="the API's base URL the token is for (default PUBLIC_URL, else http://HOST:PORT)")
    t.set_defaults(func=token_cmd)

"""`yiwang clients add|list` (the sites that sign people in through the provider) and `yiwang keys rotate`."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime

from core.db import connect_pool
from core.identity import keys
from core.identity.clients import check_uri, list_clients, register_client
from core.settings import Settings
from ops.runtime import prepare, resolve


async def _add(settings: Settings, args: argparse.Namespace) -> None:
    pool = await connect_pool(settings, max_size=2)
    try:
        secret = await register_client(
            pool=pool,
            client_id=args.client_id,
            redirect_uris=args.redirect_uri,
            public=args.public,
            site_id=args.site,
            post_logout_redirect_uris=args.post_logout_redirect_uri or (),
            backchannel_logout_uri=args.backchannel_logout_uri,
            id_token_alg=args.id_token_alg,
        )
    finally:
        await pool.close()
    shown: dict[str, object] = {"client_id": args.client_id, "public": args.public}
    if secret is not None:
        shown["client_secret"] = secret  # shown this once; only its hash is stored
    print(json.dumps(shown))


def add(args: argparse.Namespace) -> int:
    for uri in args.redirect_uri:  # checked before anything starts
        check_uri(uri, "redirect URI")
    resolved = resolve(nats=False)
    prepare(resolved.settings)
    asyncio.run(_add(resolved.settings, args))
    return 0


async def _list(settings: Settings) -> None:
    pool = await connect_pool(settings, max_size=2)
    try:
        for c in await list_clients(pool=pool):
            kind = "public" if c.public else "confidential"
            print(f"{c.client_id:<24} {kind:<12} {c.site_id or '-':<16} {' '.join(c.redirect_uris)}")
    finally:
        await pool.close()


def list_cmd(args: argparse.Namespace) -> int:
    asyncio.run(_list(resolve(nats=False).settings))
    return 0


async def _rotate(settings: Settings) -> list[str]:
    pool = await connect_pool(settings, max_size=2)
    try:
        return await keys.rotate(pool=pool, settings=settings, now=datetime.now(UTC))
    finally:
        await pool.close()


def rotate(args: argparse.Namespace) -> int:
    resolved = resolve(nats=False)
    prepare(resolved.settings)
    made = asyncio.run(_rotate(resolved.settings))
    print(
        json.dumps(
            {"new_keys": made, "retired_served_for_s": resolved.settings.access_token_ttl_s + keys.RETIRED_SLACK_S}
        )
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clients", help="register or list the sites that sign people in (OpenID Connect clients)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add", help="register a client; a confidential client's secret is printed once")
    a.add_argument("client_id")
    a.add_argument("--redirect-uri", action="append", required=True, help="exact redirect URI (repeatable)")
    a.add_argument("--public", action="store_true", help="no secret (a browser or mobile app); PKCE is required")
    a.add_argument("--site", help="the id of the stored site this client is (see `yiwang sites list`)")
    a.add_argument("--post-logout-redirect-uri", action="append", help="exact URI after logout (repeatable)")
    a.add_argument("--backchannel-logout-uri", help="where logout tokens are POSTed when a session ends")
    a.add_argument("--id-token-alg", choices=("RS256", "ES256"), default="RS256")
    a.set_defaults(func=add)
    ls = actions.add_parser("list", help="list clients")
    ls.set_defaults(func=list_cmd)
    k = sub.add_parser("keys", help="the identity provider's signing keys")
    key_actions = k.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = key_actions.add_parser("rotate", help="new signing keys; the old ones are served until their tokens expire")
    r.set_defaults(func=rotate)

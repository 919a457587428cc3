"""Relying parties (the sites of the group): registration, lookup and client authentication."""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import asyncpg

from core.errors import Conflict, Invalid, NotFound
from core.identity import store
from core.identity.models import Client
from core.identity.oauth import OAuthError
from core.identity.tokens import digest
from core.sites import known_site

CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}")
ID_TOKEN_ALGS = ("RS256", "ES256")
# Registrations change rarely (the CLI); every token request reads one, so each process keeps what it read this
# long. Unknown ids are not kept: a client registered a moment ago is found at once.
CLIENT_CACHE_S = 10.0
CLIENT_CACHE_MAX = 10_000
_cache: dict[tuple[int, str], tuple[float, asyncpg.Pool, tuple[Client, str | None]]] = {}


def check_uri(uri: str, what: str) -> str:
    """An absolute http(s) URI without a fragment: what registration accepts (matched exactly later)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise Invalid(f"{what} {uri!r} is not a URI") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"{what} {uri!r} must be an absolute http(s) URI")
    if parts.fragment or "#" in uri:
        raise Invalid(f"{what} {uri!r} must not have a fragment")
    if "*" in uri:
        raise Invalid(f"{what} {uri!r}: wildcards are not allowed; every URI is matched exactly")
    return uri


async def register_client(
    *,
    pool: asyncpg.Pool,
    client_id: str,
    redirect_uris: Sequence[str],
    public: bool = False,
    site_id: str | None = None,
    post_logout_redirect_uris: Sequence[str] = (),
    backchannel_logout_uri: str | None = None,
    id_token_alg: str = "RS256",
) -> str | None:
    """Register a client; returns the secret of a confidential client (shown once, only its hash is kept),
    None for a public one. Raises Invalid for bad input (a site id no stored site has), Conflict when the id is
    taken."""
    if not CLIENT_ID.fullmatch(client_id):
        raise Invalid("client id: 2-64 letters, digits or . _ - (starting with a letter or digit)")
    if not redirect_uris:
        raise Invalid("a client needs at least one redirect URI")
    if id_token_alg not in ID_TOKEN_ALGS:
        raise Invalid(f"id token algorithm must be one of {', '.join(ID_TOKEN_ALGS)}")
    for uri in redirect_uris:
        check_uri(uri, "redirect URI")
    for uri in post_logout_redirect_uris:
        check_uri(uri, "post-logout redirect URI")
    if backchannel_logout_uri is not None:
        check_uri(backchannel_logout_uri, "back-channel logout URI")
    if site_id is not None:  # a site of the group: a typo would tie the client to no site, silently
        try:
            await known_site(pool, site_id)
        except NotFound:
            raise Invalid(f"site {site_id!r} is not a site of the group (`yiwang sites list` shows them)") from None
    secret = None if public else secrets.token_urlsafe(32)
    made = await store.insert_client(
        pool,
        client_id=client_id,
        secret_hash=digest(secret) if secret else None,
        site_id=site_id,
        redirect_uris=list(dict.fromkeys(redirect_uris)),
        post_logout_redirect_uris=list(dict.fromkeys(post_logout_redirect_uris)),
        backchannel_logout_uri=backchannel_logout_uri,
        id_token_alg=id_token_alg,
    )
    if not made:
        raise Conflict(f"a client {client_id!r} is already registered")
    return secret


async def _registered(pool: asyncpg.Pool, client_id: str) -> tuple[Client, str | None] | None:
    """A client and its secret hash, from this process's cache when read within CLIENT_CACHE_S."""
    key = (id(pool), client_id)
    hit = _cache.get(key)
    if hit is not None and hit[1] is pool and time.monotonic() - hit[0] < CLIENT_CACHE_S:
        return hit[2]
    found = await store.client_by_id(pool, client_id)
    if found is not None:
        if len(_cache) >= CLIENT_CACHE_MAX:
            _cache.clear()
        _cache[key] = (time.monotonic(), pool, found)  # the pool is held so its id is not reused meanwhile
    return found


async def get_client(*, pool: asyncpg.Pool, client_id: str) -> Client | None:
    found = await _registered(pool, client_id)
    return found[0] if found else None


async def list_clients(*, pool: asyncpg.Pool) -> list[Client]:
    return await store.list_clients(pool)


async def authenticate_client(
    *, pool: asyncpg.Pool, client_id: str | None, secret: str | None, confidential_only: bool = False
) -> Client:
    """The client of a token, revocation or introspection request: a confidential client proves its secret
    (client_secret_basic or client_secret_post); a public one names itself (auth method `none`)."""
    if not client_id:
        raise OAuthError(
            "invalid_client",
            "no client_id: authenticate with HTTP Basic (client_secret_basic), or send client_id in the "
            "application/x-www-form-urlencoded body",
            status=401,
        )
    found = await _registered(pool, client_id)
    if found is None:
        raise OAuthError("invalid_client", "unknown client", status=401)
    client, secret_hash = found
    if secret_hash is None:
        if secret or confidential_only:
            raise OAuthError("invalid_client", "this client is public: it has no secret", status=401)
        return client
    if not secret or not hmac.compare_digest(digest(secret), secret_hash):
        raise OAuthError("invalid_client", "client authentication failed", status=401)
    return client

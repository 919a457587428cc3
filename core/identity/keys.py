"""Signing keys in Postgres: an ES256 key signs access tokens, an RS256 key ID tokens (OIDC requires RS256);
`rotate` retires the current keys, which stay in the JWKS and are accepted until every token they signed has
expired. Each process keeps the keys for KEY_CACHE_S (they never change, only new ones appear). With
IDENTITY_KEY_SECRET the private keys are stored sealed (core.identity.sealing)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey

from core.identity import accounts, sealing, store
from core.identity.models import SigningKey
from core.settings import Settings

log = logging.getLogger(__name__)
ALGS = ("ES256", "RS256")
KEY_CACHE_S = 30.0
RELOAD_AFTER_S = 1.0  # an unknown kid reloads the keys at most this often
RETIRED_SLACK_S = 60  # clock skew: a retired key is served this long past its last token's expiry
Jwk = ECKey | RSAKey


@dataclass(frozen=True)
class LoadedKey:
    row: SigningKey
    private: Jwk
    public: Jwk
    # cryptography's key object, taken once: joserfc's `private_key` property looks it up on every call
    signing: Any = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signing", self.private.private_key)

    def live(self, now: datetime) -> bool:
        return self.row.served_until is None or self.row.served_until > now


class KeyRing:
    """The keys of one database, cached. Loads are single-flight, and callers that hold a pooled connection take
    `signers` before acquiring it: a load needs a connection of its own, and under load a pool whose every
    connection waits for a key load would never give it one."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret
        self.keys: list[LoadedKey] = []
        self.loaded_at = -1e9
        self._lock = asyncio.Lock()

    async def load(self, pool: asyncpg.Pool, now: datetime, *, older_than: float = 0.0) -> None:
        """Read the keys again unless another caller did so within `older_than` seconds."""
        async with self._lock:
            if time.monotonic() - self.loaded_at < older_than:
                return
            rows = await store.signing_keys(pool, now)
            if {r.alg for r in rows if r.retired_at is None} != set(ALGS):
                await ensure_keys(pool, now, self.secret)
                rows = await store.signing_keys(pool, now)
            # a key already imported is kept: importing an RSA key (its checks) takes milliseconds of CPU
            held = {(k.row.kid, k.row.private_jwk): k for k in self.keys}
            self.keys = [_reloaded(held.get((r.kid, r.private_jwk)), r) or _loaded(r, self.secret) for r in rows]
            self.loaded_at = time.monotonic()

    async def all(self, pool: asyncpg.Pool, now: datetime) -> list[LoadedKey]:
        if time.monotonic() - self.loaded_at > KEY_CACHE_S:
            await self.load(pool, now, older_than=KEY_CACHE_S)
        return [k for k in self.keys if k.live(now)]

    async def signers(self, pool: asyncpg.Pool, now: datetime) -> dict[str, LoadedKey]:
        """The newest current key of each algorithm."""
        current = {k.row.alg: k for k in reversed(await self.all(pool, now)) if k.row.retired_at is None}
        if set(current) != set(ALGS):
            await self.load(pool, now)
            current = {k.row.alg: k for k in reversed(self.keys) if k.row.retired_at is None}
        return current

    async def signer(self, pool: asyncpg.Pool, alg: str, now: datetime) -> LoadedKey:
        """The newest current key of `alg`."""
        return (await self.signers(pool, now))[alg]

    async def verifier(self, pool: asyncpg.Pool, kid: str, now: datetime) -> LoadedKey | None:
        """The key `kid` when it is current or a retired one still served; a kid not cached reloads once."""
        found = _by_kid(await self.all(pool, now), kid)
        if found is None and time.monotonic() - self.loaded_at > RELOAD_AFTER_S:
            await self.load(pool, now, older_than=RELOAD_AFTER_S)
            found = _by_kid(self.keys, kid)
        return found if found is not None and found.live(now) else None


# Pools cannot be weakly referenced: each ring holds its pool, so an id is never reused while it is a key. A
# process opens a handful of pools in its life; a closed pool's ring is dropped at the next lookup.
_rings: dict[int, tuple[asyncpg.Pool, KeyRing]] = {}


def ring(pool: asyncpg.Pool, settings: Settings) -> KeyRing:
    """This process's key ring for the database of `pool` (opened with IDENTITY_KEY_SECRET)."""
    for key, (held, _) in list(_rings.items()):
        if held.is_closing():
            del _rings[key]
    found = _rings.get(id(pool))
    if found is None or found[1].secret != settings.identity_key_secret:
        found = _rings[id(pool)] = (pool, KeyRing(settings.identity_key_secret))
    return found[1]


def _by_kid(keys: list[LoadedKey], kid: str) -> LoadedKey | None:
    return next((k for k in keys if k.row.kid == kid), None)


def _reloaded(held: LoadedKey | None, row: SigningKey) -> LoadedKey | None:
    """The key imported before with the row read now (its retirement may have changed), or None."""
    return None if held is None else LoadedKey(row, held.private, held.public)


def _loaded(row: SigningKey, secret: str | None) -> LoadedKey:
    data = json.loads(sealing.unseal(secret, row.kid, row.private_jwk))
    kind = ECKey if row.alg == "ES256" else RSAKey
    private = kind.import_key(data)
    return LoadedKey(row, private, kind.import_key(private.as_dict(private=False)))


def generate(alg: str) -> tuple[str, str]:
    """A new key of `alg`: (kid, private JWK as JSON)."""
    kid = f"{alg.lower()}-{secrets.token_hex(6)}"
    params: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
    key: Jwk = (
        ECKey.generate_key("P-256", parameters=params)
        if alg == "ES256"
        else RSAKey.generate_key(2048, parameters=params)
    )
    return kid, json.dumps(key.as_dict(private=True))


async def ensure_keys(pool: asyncpg.Pool, now: datetime, secret: str | None) -> None:
    """Create a current key of each algorithm that has none (once, whichever replica comes first)."""
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_keys(conn)
        current = {k.alg for k in await store.signing_keys(conn, now) if k.retired_at is None}
        for alg in ALGS:
            if alg not in current:
                kid, jwk = generate(alg)
                await store.insert_key(conn, kid=kid, alg=alg, private_jwk=sealing.at_rest(secret, kid, jwk), now=now)


async def rotate(*, pool: asyncpg.Pool, settings: Settings, now: datetime) -> list[str]:
    """Retire the current keys and make new ones; the retired ones are served until the tokens they signed
    have expired. Returns the new kids."""
    served_until = now + timedelta(seconds=settings.access_token_ttl_s + RETIRED_SLACK_S)
    made = []
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_keys(conn)
        for alg in ALGS:
            await store.retire_keys(conn, alg=alg, now=now, served_until=served_until)
            kid, jwk = generate(alg)
            sealed = sealing.at_rest(settings.identity_key_secret, kid, jwk)
            await store.insert_key(conn, kid=kid, alg=alg, private_jwk=sealed, now=now)
            made.append(kid)
    await ring(pool, settings).load(pool, now)
    return made


async def jwks(pool: asyncpg.Pool, settings: Settings, now: datetime) -> dict[str, Any]:
    """The public keys: current and retired-but-served ones."""
    return dict(KeySet([k.public for k in await ring(pool, settings).all(pool, now)]).as_dict(private=False))


def production(settings: Settings) -> bool:
    """Served to the public: the issuer is https (PUBLIC_URL). Development and the demo serve plain http."""
    return settings.issuer.startswith("https://")


async def prepare_at_rest(pool: asyncpg.Pool, settings: Settings, now: datetime) -> int:
    """At start: with IDENTITY_KEY_SECRET, seal every key (and TOTP secret, accounts.seal_totp_at_rest) still
    stored in the clear (made before the secret was set) and check that the sealed ones open — a wrong secret
    stops the start (Invalid) rather than the first sign-in; without it, warn when serving production. Returns
    how many keys it sealed."""
    secret = settings.identity_key_secret
    if not secret:
        if production(settings):
            log.warning("IDENTITY_KEY_SECRET is not set: the private signing keys are stored unencrypted in Postgres")
        return 0
    sealed = 0
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_keys(conn)
        for row in await store.all_keys(conn):
            sealing.unseal(secret, row.kid, row.private_jwk)  # a wrong secret raises here
            if not sealing.is_sealed(row.private_jwk):
                await store.set_private_jwk(conn, row.kid, sealing.seal(secret, row.kid, row.private_jwk))
                sealed += 1
    if sealed:
        log.info("sealed signing keys stored in the clear", extra={"keys": sealed})
    totps = await accounts.seal_totp_at_rest(pool=pool, secret=secret)
    if totps:
        log.info("sealed TOTP secrets stored in the clear", extra={"accounts": totps})
    await ring(pool, settings).load(pool, now)
    return sealed

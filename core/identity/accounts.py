"""Accounts: natural persons (个人) and legal persons (法人), argon2id passwords, optional TOTP, and the ID
number kept only as a keyed hash."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from uuid import UUID

import asyncpg
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import Conflict, Invalid, NotFound
from core.identity import sealing, store
from core.identity.models import User
from core.settings import Settings

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}")
CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_NAME = 100
HASH_KEY_SECRET = "id-number-hash-key"
TOTP_SEALED = "TOTP secret"  # sealed with the label `totp:<username>`: a copy on another account does not open
HASHER = PasswordHasher()  # argon2id, the library's defaults (RFC 9106 low-memory profile)
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))  # verified for unknown accounts: timing says nothing


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise Invalid("username: 3-64 letters, digits or . _ @ - (starting with a letter or digit)")
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def check_id_number(id_number: str) -> str:
    """An 18-character resident ID number with a valid check character (GB 11643)."""
    value = id_number.strip().upper()
    if not ID_NUMBER.fullmatch(value):
        raise Invalid("ID number must be 18 characters: 17 digits and a digit or X")
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != value[17]:
        raise Invalid("ID number: the check character is wrong")
    return value


def _check_account(*, name: str, kind: str, real_name_level: int, credit_code: str | None) -> None:
    if not name.strip() or len(name) > MAX_NAME:
        raise Invalid(f"name must be 1 to {MAX_NAME} characters")
    if kind not in ("person", "legal"):
        raise Invalid(f"kind must be person or legal, not {kind!r}")
    if not 0 <= real_name_level <= 3:
        raise Invalid(f"real-name level must be 0 to 3, not {real_name_level}")
    if kind == "legal" and credit_code is None:
        raise Invalid("a legal person needs its unified social credit code (统一社会信用代码)")
    if kind == "person" and credit_code is not None:
        raise Invalid("only a legal person has a unified social credit code")
    if credit_code is not None and not CREDIT_CODE.fullmatch(credit_code):
        raise Invalid("unified social credit code must be 18 characters (digits and capitals, no I O Z S V)")


async def hash_key(*, pool: asyncpg.Pool | asyncpg.Connection, settings: Settings | None) -> bytes:
    """The HMAC key of ID-number hashes: IDENTITY_HASH_KEY, else one generated once and kept in Postgres."""
    if settings is not None and settings.identity_hash_key:
        return settings.identity_hash_key.encode()
    return (await store.secret(pool, HASH_KEY_SECRET, secrets.token_urlsafe(32))).encode()


async def id_number_hash(*, pool: asyncpg.Pool | asyncpg.Connection, settings: Settings | None, id_number: str) -> str:
    """The keyed hash stored for an ID number (hex HMAC-SHA256); the number itself is never stored."""
    key = await hash_key(pool=pool, settings=settings)
    return hmac.new(key, check_id_number(id_number).encode(), hashlib.sha256).hexdigest()


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, check_password(password))


async def create_user(
    *,
    pool: asyncpg.Pool,
    username: str,
    name: str,
    password: str | None,
    kind: str = "person",
    real_name_level: int = 0,
    credit_code: str | None = None,
    id_number: str | None = None,
    totp_secret: str | None = None,
    settings: Settings | None = None,
) -> UUID:
    """A new account. `password` None: no local password (an upstream account); `id_number` is hashed with
    the identity hash key and dropped. Raises Invalid for bad input, Conflict when the username, the ID number
    or the credit code is taken."""
    check_username(username)
    _check_account(name=name, kind=kind, real_name_level=real_name_level, credit_code=credit_code)
    if totp_secret is not None:
        pyotp.TOTP(totp_secret).now()  # a malformed base32 secret fails here, not at sign-in
    number_hash = await id_number_hash(pool=pool, settings=settings, id_number=id_number) if id_number else None
    password_hash = await hash_password(password) if password is not None else None
    user_id = await store.insert_user(
        pool,
        username=username,
        name=name.strip(),
        kind=kind,
        real_name_level=real_name_level,
        password_hash=password_hash,
        credit_code=credit_code,
        id_number_hash=number_hash,
        totp_secret=None if totp_secret is None else _seal_totp(settings, username, totp_secret),
    )
    if user_id is None:
        raise Conflict(f"an account with username {username!r}, this ID number or this credit code exists")
    return user_id


async def get_user(*, pool: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> User:
    user = await store.user_by_id(pool, user_id)
    if user is None:
        raise NotFound(f"no account {user_id}")
    return user


async def find_user(*, pool: asyncpg.Pool | asyncpg.Connection, username: str) -> User | None:
    return await store.user_by_username(pool, username)


async def list_users(*, pool: asyncpg.Pool, limit: int = 1000) -> list[User]:
    return await store.list_users(pool, limit=limit)


async def add_agent(*, pool: asyncpg.Pool, legal_id: UUID, agent_id: UUID) -> None:
    """`agent_id` (a natural person) acts for the legal person `legal_id`."""
    legal, agent = await get_user(pool=pool, user_id=legal_id), await get_user(pool=pool, user_id=agent_id)
    if legal.kind != "legal" or agent.kind != "person":
        raise Invalid("an agent is a natural person acting for a legal person")
    await store.add_agent(pool, legal_id, agent_id)


async def agents_of(*, pool: asyncpg.Pool, legal_id: UUID) -> list[UUID]:
    return await store.agents_of(pool, legal_id)


async def set_password(*, pool: asyncpg.Pool, user_id: UUID, password: str) -> None:
    await get_user(pool=pool, user_id=user_id)
    await store.set_password_hash(pool, user_id, await hash_password(password))


async def enable_totp(*, pool: asyncpg.Pool, user_id: UUID, settings: Settings | None = None) -> str:
    """Give an account a TOTP second factor (sealed at rest with IDENTITY_KEY_SECRET when `settings` has one);
    returns the base32 secret to put in an authenticator app."""
    user = await get_user(pool=pool, user_id=user_id)
    secret = pyotp.random_base32()
    await store.set_totp_secret(pool, user_id, _seal_totp(settings, user.username, secret))
    return secret


def _seal_totp(settings: Settings | None, username: str, secret: str) -> str:
    return sealing.at_rest(settings.identity_key_secret if settings else None, f"totp:{username}", secret)


def _totp_ok(settings: Settings | None, username: str, stored: str, code: str | None) -> bool:
    if not code:
        return False
    key = settings.identity_key_secret if settings else None
    secret = sealing.unseal(key, f"totp:{username}", stored, what=TOTP_SEALED)
    return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)


async def seal_totp_at_rest(*, pool: asyncpg.Pool, secret: str) -> int:
    """At start, with IDENTITY_KEY_SECRET: seal the TOTP secrets still stored in the clear, after checking that
    one already sealed opens (a wrong secret raises Invalid). Returns how many it sealed."""
    async with pool.acquire() as conn, conn.transaction():
        one = await store.a_sealed_totp(conn, sealing.PREFIX)
        if one is not None:
            sealing.unseal(secret, f"totp:{one[0]}", one[1], what=TOTP_SEALED)
        plain = await store.plain_totps(conn, sealing.PREFIX)
        for user_id, username, value in plain:
            await store.set_totp_secret(conn, user_id, sealing.seal(secret, f"totp:{username}", value))
    return len(plain)


async def check_credentials(
    *, pool: asyncpg.Pool, username: str, password: str, totp: str | None, settings: Settings | None = None
) -> UUID | None:
    """The account id when the password (and the TOTP code, if the account has one) is right, else None.
    An unknown account costs the same hashing time as a known one. `settings` opens a sealed TOTP secret."""
    found = await store.credentials(pool, username)
    stored = found[1] if found and found[1] else _DUMMY_HASH
    ok = await asyncio.to_thread(_verify, stored, password)
    if not found or not found[1] or found[3] or not ok:
        return None
    user_id, password_hash, totp_secret, _ = found
    if totp_secret is not None and not _totp_ok(settings, username, totp_secret, totp):
        return None
    if HASHER.check_needs_rehash(password_hash):  # type: ignore[arg-type]
        await store.set_password_hash(pool, user_id, await hash_password(password))
    return user_id


async def needs_totp(*, pool: asyncpg.Pool, username: str) -> bool:
    found = await store.credentials(pool, username)
    return bool(found and found[2])


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return False


REGION_CODE = re.compile(r"[1-9][0-9]{5}")


async def set_region(*, pool: asyncpg.Pool, user_id: UUID, region_code: str | None) -> None:
    """Record where an account lives or is registered: a six-digit division code (GB/T 2260), or None."""
    if region_code is not None and not REGION_CODE.fullmatch(region_code):
        raise Invalid(f"region code must be a six-digit division code (GB/T 2260), not {region_code!r}")
    if not await store.set_region(pool, user_id, region_code):
        raise NotFound(f"no account {user_id}")


async def region_of(*, pool: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> str | None:
    """The account's division code (personal lookups read it), or None when not given."""
    return await store.region_of(pool, user_id)

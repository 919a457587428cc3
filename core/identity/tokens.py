"""Access and ID tokens: JWTs signed with the provider's keys (core.identity.keys).

An access token is an RFC 9068 JWT (`typ: at+jwt`, ES256) naming the account (`sub`), its session (`sid`), the
client and the scopes; it is accepted while its signature, issuer, audience and expiry hold, its key is still
served, its session is live and it was not revoked. An ID token (RS256 unless the client asked for ES256) never
works as an access token: its `typ` and audience differ."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc import jws, jwt
from joserfc.errors import JoseError

from core.errors import Unauthenticated
from core.identity import keys, session_store
from core.identity.models import Client, Session, User
from core.identity.principal import AccountKind, Principal
from core.identity.roles import roles_of
from core.settings import Settings

ACCESS_TYP = "at+jwt"
ACCESS_ALG = "ES256"  # fast to sign and verify: the token endpoint's budget is ~1 ms per exchange
REFUSED = "this access token is not valid"
ECDSA_SHA256, PKCS1V15, SHA256 = ec.ECDSA(hashes.SHA256()), padding.PKCS1v15(), hashes.SHA256()


def digest(value: str) -> str:
    """What is stored for a secret value (a code, a refresh token, a session cookie): hex SHA-256. The values
    are 256-bit random strings, so a fast hash is enough."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


Signers = Mapping[str, keys.LoadedKey]


async def sign(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    alg: str,
    claims: dict[str, Any],
    now: datetime,
    typ: str = "JWT",
    signers: Signers | None = None,
) -> str:
    """A JWT signed with the current key of `alg`; `signers` (keys.KeyRing.signers), when the caller holds a
    pooled connection and must not wait for another."""
    key = signers[alg] if signers is not None else await keys.ring(pool, settings).signer(pool, alg, now)
    return compact_jws({"alg": alg, "kid": key.row.kid, "typ": typ}, claims, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@functools.lru_cache(maxsize=64)
def _header_segment(items: tuple[tuple[str, Any], ...]) -> str:
    """A header's encoded segment: a handful of headers (alg, kid, typ) sign every token."""
    return _b64(compact_json(dict(items)).encode())


def compact_jws(header: dict[str, Any], claims: dict[str, Any], key: keys.LoadedKey) -> str:
    """A JWS in compact serialization (RFC 7515 §7.1) signed with `key` through `cryptography` directly. joserfc's
    encoder checks its registry on every call, which costs as much as an ES256 signature on the token endpoint's
    hot path; our headers are fixed, and every token is verified with joserfc (tests, interop clients)."""
    if header.get("alg") != key.row.alg:
        raise ValueError(f"header alg {header.get('alg')!r} is not the key's {key.row.alg}")
    signing_input = f"{_header_segment(tuple(header.items()))}.{_b64(compact_json(claims).encode())}"
    private = key.signing
    if isinstance(private, ec.EllipticCurvePrivateKey) and key.row.alg == "ES256":
        r, s = decode_dss_signature(private.sign(signing_input.encode(), ECDSA_SHA256))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # RFC 7518 §3.4: R || S, not DER
    elif isinstance(private, rsa.RSAPrivateKey) and key.row.alg == "RS256":
        signature = private.sign(signing_input.encode(), PKCS1V15, SHA256)
    else:
        raise ValueError(f"key {key.row.kid} cannot sign {key.row.alg}")
    return f"{signing_input}.{_b64(signature)}"


@dataclass(frozen=True, kw_only=True)
class AccessToken:
    token: str
    jti: str
    expires_at: datetime


async def access_token(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    user_id: UUID,
    client_id: str,
    session_id: UUID,
    scopes: Sequence[str],
    now: datetime,
    signers: Signers | None = None,
) -> AccessToken:
    jti = secrets.token_urlsafe(16)
    expires_at = now + timedelta(seconds=settings.access_token_ttl_s)
    claims = {
        "iss": settings.issuer,
        "aud": settings.issuer,
        "sub": str(user_id),
        "client_id": client_id,
        "sid": str(session_id),
        "scope": " ".join(scopes),
        "iat": _ts(now),
        "exp": _ts(expires_at),
        "jti": jti,
    }
    token = await sign(
        pool=pool, settings=settings, alg=ACCESS_ALG, claims=claims, now=now, typ=ACCESS_TYP, signers=signers
    )
    return AccessToken(token=token, jti=jti, expires_at=expires_at)


def half_hash(value: str) -> str:
    """`at_hash`: the left half of SHA-256 of the access token, base64url (OIDC Core 3.1.3.6)."""
    half = hashlib.sha256(value.encode()).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def user_claims(user: User, scopes: Sequence[str]) -> dict[str, Any]:
    """Claims about the account: `sub` always, the rest with the `profile` scope."""
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        claims |= {
            "name": user.name,
            "preferred_username": user.username,
            "account_kind": user.kind,
            "real_name_level": user.real_name_level,
        }
    return claims


async def id_token(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    user: User,
    client: Client,
    session: Session,
    scopes: Sequence[str],
    nonce: str | None,
    access: str | None,
    now: datetime,
    signers: Signers | None = None,
) -> str:
    claims = user_claims(user, scopes) | {
        "iss": settings.issuer,
        "aud": client.client_id,
        "azp": client.client_id,
        "iat": _ts(now),
        "exp": _ts(now + timedelta(seconds=settings.access_token_ttl_s)),
        "auth_time": _ts(session.auth_time),
        "sid": str(session.id),
        "amr": list(session.amr),
    }
    if nonce:
        claims["nonce"] = nonce
    if access:
        claims["at_hash"] = half_hash(access)
    return await sign(pool=pool, settings=settings, alg=client.id_token_alg, claims=claims, now=now, signers=signers)


async def verified_claims(
    *, pool: asyncpg.Pool, settings: Settings, token: str, algs: Sequence[str], typ: str | None, now: datetime
) -> dict[str, Any]:
    """The claims of a JWT this provider signed with a key it still serves; the signature, `alg` and `typ`
    checked (an `alg: none` or tampered token raises Unauthenticated). Times are the caller's to check."""
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise Unauthenticated(REFUSED) from None
    if header.get("alg") not in algs or (typ is not None and header.get("typ") != typ):
        raise Unauthenticated(REFUSED)
    key = await keys.ring(pool, settings).verifier(pool, str(header.get("kid")), now)
    if key is None or key.row.alg != header["alg"]:
        raise Unauthenticated(REFUSED)
    try:
        decoded = jwt.decode(token, key.public, algorithms=[key.row.alg])
    except (JoseError, ValueError, TypeError):
        raise Unauthenticated(REFUSED) from None
    return dict(decoded.claims)


async def access_claims(*, pool: asyncpg.Pool, settings: Settings, token: str, now: datetime) -> dict[str, Any]:
    """The claims of a well-signed, unexpired access token of this issuer (its session not yet checked)."""
    claims = await verified_claims(
        pool=pool, settings=settings, token=token, algs=(ACCESS_ALG,), typ=ACCESS_TYP, now=now
    )
    if claims.get("iss") != settings.issuer or claims.get("aud") != settings.issuer:
        raise Unauthenticated(REFUSED)
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now.timestamp():
        raise Unauthenticated("this access token has expired")
    for name in ("sub", "sid", "jti", "client_id"):
        if not isinstance(claims.get(name), str):
            raise Unauthenticated(REFUSED)
    return claims


async def verify_access_token(*, pool: asyncpg.Pool, settings: Settings, token: str, now: datetime) -> Principal:
    """The principal behind an access token; raises Unauthenticated for a token that is malformed, tampered,
    unsigned, expired, revoked, signed by a key no longer served, or whose session has ended."""
    claims = await access_claims(pool=pool, settings=settings, token=token, now=now)
    try:
        user_id, session_id = UUID(claims["sub"]), UUID(claims["sid"])
    except ValueError:
        raise Unauthenticated(REFUSED) from None
    row = await session_store.active_principal_row(
        pool, session_id=session_id, user_id=user_id, jti=claims["jti"], now=now
    )
    if row is None:
        raise Unauthenticated("this access token was revoked or its sign-in has ended")
    return Principal(
        user_id=user_id,
        username=row["username"],
        name=row["name"],
        kind=cast(AccountKind, row["kind"]),
        real_name_level=row["real_name_level"],
        roles=await roles_of(pool, user_id),
        client_id=claims["client_id"],
        scopes=frozenset(str(claims.get("scope", "")).split()),
        session_id=session_id,
    )


async def id_token_hint(*, pool: asyncpg.Pool, settings: Settings, token: str, now: datetime) -> dict[str, Any]:
    """The claims of an ID token this provider issued (an expired one is a valid hint, OIDC RP-initiated
    logout 1.0 §2), for logout; Unauthenticated when it is not one."""
    claims = await verified_claims(pool=pool, settings=settings, token=token, algs=keys.ALGS, typ="JWT", now=now)
    if claims.get("iss") != settings.issuer or not isinstance(claims.get("sid"), str):
        raise Unauthenticated("id_token_hint is not an ID token of this provider")
    return claims


async def issue_access_token(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    user_id: UUID,
    client_id: str,
    scopes: Sequence[str] = ("openid", "profile"),
    now: datetime,
) -> str:
    """A real session and a real signed access token for `user_id`, exactly as the token endpoint makes them
    (for tests and the demo). `client_id` need not be registered."""
    session_id = await session_store.insert_session(
        pool,
        cookie_hash=digest(new_secret()),
        user_id=user_id,
        auth_time=now,
        amr=("pwd",),
        expires_at=now + timedelta(seconds=settings.session_ttl_s),
    )
    made = await access_token(
        pool=pool,
        settings=settings,
        user_id=user_id,
        client_id=client_id,
        session_id=session_id,
        scopes=scopes,
        now=now,
    )
    return made.token


def logout_token_claims(
    *, settings: Settings, client_id: str, user_id: UUID, session_id: UUID, now: datetime
) -> dict[str, Any]:
    """OIDC Back-Channel Logout 1.0 §2.4: no nonce, the logout event, `sid` and `sub`."""
    return {
        "iss": settings.issuer,
        "aud": client_id,
        "iat": _ts(now),
        "exp": _ts(now + timedelta(minutes=2)),
        "jti": secrets.token_urlsafe(16),
        "sub": str(user_id),
        "sid": str(session_id),
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }


def compact_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

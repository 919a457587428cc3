"""What the identity provider stores: accounts, clients, sessions, codes and refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from core.identity.principal import AccountKind


@dataclass(frozen=True, kw_only=True)
class User:
    """An account: a natural person (个人) or a legal person (法人, with its unified social credit code)."""

    id: UUID
    username: str
    name: str
    kind: AccountKind
    real_name_level: int
    has_password: bool
    has_totp: bool
    credit_code: str | None
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class Client:
    """A relying party (a site of the group). Public clients have no secret and must use PKCE."""

    client_id: str
    public: bool
    site_id: str | None
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    backchannel_logout_uri: str | None
    id_token_alg: str


@dataclass(frozen=True, kw_only=True)
class Session:
    """A browser's sign-in at the provider; `id` is the `sid` claim of the tokens issued in it."""

    id: UUID
    user_id: UUID
    auth_time: datetime
    amr: tuple[str, ...]
    expires_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class CodeGrant:
    """An authorization code as stored (its hash is the key), consumed at most once."""

    client_id: str
    session_id: UUID
    redirect_uri: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    expires_at: datetime
    used: bool


@dataclass(frozen=True, kw_only=True)
class RefreshGrant:
    """A refresh token as stored; rotating it marks it used, and a used one presented again is a theft."""

    family: UUID
    client_id: str
    session_id: UUID
    scopes: tuple[str, ...]
    expires_at: datetime
    used: bool
    revoked: bool


@dataclass(frozen=True, kw_only=True)
class SigningKey:
    kid: str
    alg: str
    private_jwk: str
    created_at: datetime
    retired_at: datetime | None
    served_until: datetime | None

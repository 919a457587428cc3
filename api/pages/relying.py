"""The portal as a relying party of the group's OpenID Connect provider: code flow with PKCE (S256).

The portal is a public client registered on first use (`yiwang-portal-<hash of the issuer>`, redirect URI
`<issuer>/signin/callback`, back to `<issuer>/` after logout). It runs in the provider's own process, so it
exchanges codes and refreshes tokens by calling the token endpoint's functions (core.identity.provider) rather
than POSTing to its own /oidc/token: the same checks, without a request that would leave through a proxy and
come back, or spend the server's own address's rate limit for every citizen who signs in. A site on another
server does the same over HTTP (docs/identity.md, "How a site of the group signs people in")."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from core.errors import Conflict, Unauthenticated
from core.identity import keys, provider, tokens
from core.identity.clients import get_client, register_client
from core.identity.models import Client
from core.identity.oauth import OAuthError
from core.services import Services
from core.settings import Settings

CALLBACK = "/signin/callback"
BACKCHANNEL = "/signin/backchannel"
SCOPE = "openid profile"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def client_id(settings: Settings) -> str:
    """One client per issuer: a portal reached at a new PUBLIC_URL registers itself again, exactly."""
    return "yiwang-portal-" + hashlib.sha256(settings.issuer.encode()).hexdigest()[:10]


async def portal_client(services: Services) -> Client:
    """The portal's client, registered now if this issuer has none yet (a concurrent replica may win: fine)."""
    settings, pool = services.settings, services.pool
    cid = client_id(settings)
    found = await get_client(pool=pool, client_id=cid)
    if found is not None:
        return found
    try:
        await register_client(
            pool=pool,
            client_id=cid,
            redirect_uris=[settings.issuer + CALLBACK],
            public=True,
            post_logout_redirect_uris=[settings.issuer + "/"],
            backchannel_logout_uri=settings.issuer + BACKCHANNEL,
        )
    except Conflict:
        pass
    made = await get_client(pool=pool, client_id=cid)
    assert made is not None
    return made


@dataclass(frozen=True, kw_only=True)
class Pending:
    """A sign-in under way: what the callback must find again (state, nonce) and prove (the PKCE verifier)."""

    state: str
    nonce: str
    verifier: str
    back_to: str

    @classmethod
    def start(cls, back_to: str) -> Pending:
        return cls(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),
            back_to=back_to,
        )

    def authorization_url(self, settings: Settings) -> str:
        params = {
            "response_type": "code",
            "client_id": client_id(settings),
            "redirect_uri": settings.issuer + CALLBACK,
            "scope": SCOPE,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": create_s256_code_challenge(self.verifier),
            "code_challenge_method": "S256",
        }
        return f"{settings.issuer}/oidc/authorize?{urlencode(params)}"

    def same_state(self, state: str | None) -> bool:
        return state is not None and hmac.compare_digest(state, self.state)


@dataclass(frozen=True, kw_only=True)
class Tokens:
    """What the token endpoint answered, with the person's display name and the provider's session (`sid`)
    from the ID token."""

    access_token: str
    refresh_token: str | None
    id_token: str | None
    expires_at: float
    name: str
    sid: str


def _tokens(body: dict[str, Any], now: datetime, name: str, sid: str) -> Tokens:
    return Tokens(
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token"),
        id_token=body.get("id_token"),
        expires_at=now.timestamp() + int(body.get("expires_in", 0)),
        name=name,
        sid=sid,
    )


async def exchange(services: Services, *, code: str, pending: Pending) -> Tokens:
    """Tokens for the code (OAuthError when refused); the ID token checked: signature, issuer, audience, nonce."""
    client, now = await portal_client(services), services.clock()
    body = await provider.exchange_code(
        pool=services.pool,
        settings=services.settings,
        client=client,
        code=code,
        redirect_uri=services.settings.issuer + CALLBACK,
        code_verifier=pending.verifier,
        now=now,
    )
    claims = await tokens.id_token_hint(
        pool=services.pool, settings=services.settings, token=str(body.get("id_token", "")), now=now
    )
    nonce = claims.get("nonce")
    if claims.get("aud") != client.client_id or not isinstance(nonce, str) or nonce != pending.nonce:
        raise Unauthenticated("the ID token was not issued for this sign-in")
    if claims.get("exp", 0) <= now.timestamp():
        raise Unauthenticated("the ID token has expired")
    name = str(claims.get("name") or claims.get("preferred_username") or "")
    return _tokens(body, now, name, str(claims.get("sid", "")))


async def refresh(services: Services, *, refresh_token: str, name: str, sid: str) -> Tokens:
    """New tokens for a refresh token (used once: the new one replaces it); OAuthError when refused."""
    client, now = await portal_client(services), services.clock()
    body = await provider.refresh_tokens(
        pool=services.pool,
        settings=services.settings,
        client=client,
        refresh_token=refresh_token,
        scope=None,
        now=now,
    )
    return _tokens(body, now, name, sid)


async def logged_out_sid(services: Services, logout_token: str) -> str:
    """The provider session a back-channel logout token ends (OIDC Back-Channel Logout 1.0 §2.6): signed by the
    provider, `typ: logout+jwt`, our issuer and client, the logout event, a `sid`, no nonce, not expired."""
    now, settings = services.clock(), services.settings
    claims = await tokens.verified_claims(
        pool=services.pool, settings=settings, token=logout_token, algs=keys.ALGS, typ="logout+jwt", now=now
    )
    events = claims.get("events")
    sid = claims.get("sid")
    if claims.get("iss") != settings.issuer or claims.get("aud") != client_id(settings):
        raise Unauthenticated("the logout token is not for this portal")
    if not isinstance(events, dict) or LOGOUT_EVENT not in events or "nonce" in claims:
        raise Unauthenticated("not a back-channel logout token")
    if not isinstance(sid, str) or not sid or claims.get("exp", 0) <= now.timestamp():
        raise Unauthenticated("the logout token names no session or has expired")
    return sid


def logout_url(settings: Settings, id_token: str | None) -> str:
    """RP-initiated logout at the provider, back to the portal's home (the registered post-logout URI)."""
    params = {"client_id": client_id(settings), "post_logout_redirect_uri": settings.issuer + "/"}
    if id_token:
        params["id_token_hint"] = id_token
    return f"{settings.issuer}/oidc/logout?{urlencode(params)}"


__all__ = ["OAuthError", "Pending", "Tokens", "exchange", "logged_out_sid", "logout_url", "portal_client", "refresh"]
